// Demonstration selection (random, class-balanced, kNN by embedding cosine similarity), ordering,
// and truncation to the context window (drops demonstrations, never the query).

import type { Example } from '../data/dataset.js';
import { subSeed, mulberry32, shuffle } from '../data/random.js';
import type { DemoOrder, SelectionMethod } from './prompt.js';
import { queryText } from './prompt.js';

export type EmbedFn = (texts: string[]) => Promise<Float32Array[]>;

export interface SelectorOptions {
  k: number;
  method: SelectionMethod;
  order: DemoOrder;
  seed: number;
  /** Needed for method "knn" and order "similar-last". */
  embed?: EmbedFn | undefined;
}

export interface SelectedDemo {
  example: Example;
  /** Cosine similarity to the query, when embeddings were used. */
  similarity?: number;
}

/** The text a demonstration is compared (embedded) by. */
export function exampleText(ex: Example): string {
  return ex.prompt ?? queryText(ex);
}

export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`embedding sizes differ: ${a.length} vs ${b.length}`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** k examples, round-robin over the classes (sorted), each class shuffled with the seed. */
export function balancedSample(pool: readonly Example[], k: number, seed: number): Example[] {
  const byClass = new Map<string, Example[]>();
  for (const ex of pool) {
    const l = ex.label ?? '';
    if (!byClass.has(l)) byClass.set(l, []);
    byClass.get(l)!.push(ex);
  }
  const classes = [...byClass.keys()].sort();
  const queues = classes.map((c) => shuffle(byClass.get(c)!, subSeed(seed, `balanced:${c}`)));
  // Start at a seeded class so k < #classes does not always favour the first classes.
  const start = classes.length > 0 ? Math.floor(mulberry32(subSeed(seed, 'balanced-start'))() * classes.length) : 0;
  const out: Example[] = [];
  for (let round = 0; out.length < k; round++) {
    let any = false;
    for (let j = 0; j < queues.length && out.length < k; j++) {
      const q = queues[(start + j) % queues.length]!;
      if (round < q.length) {
        out.push(q[round]!);
        any = true;
      }
    }
    if (!any) break;
  }
  return out;
}

export class DemoSelector {
  private poolEmbeddings: Promise<Float32Array[]> | undefined;
  private fixed: Example[] | undefined;

  constructor(
    readonly pool: readonly Example[],
    readonly options: SelectorOptions,
  ) {
    if ((options.method === 'knn' || options.order === 'similar-last') && !options.embed) {
      throw new Error(`selection "${options.method}" with order "${options.order}" needs an embed function`);
    }
  }

  private embeddings(): Promise<Float32Array[]> {
    this.poolEmbeddings ??= this.options.embed!(this.pool.map(exampleText));
    return this.poolEmbeddings;
  }

  /**
   * Demonstrations for one query, in prompt order (the last is nearest the query). Random and
   * balanced selection draw one fixed set for all queries (seeded); kNN picks per query.
   */
  async select(query: string): Promise<SelectedDemo[]> {
    const { k, method, order, seed } = this.options;
    if (k === 0 || this.pool.length === 0) return [];
    let chosen: SelectedDemo[];
    if (method === 'knn') {
      const [pool, [q]] = await Promise.all([this.embeddings(), this.options.embed!([query])]);
      const scored = this.pool.map((example, i) => ({ example, similarity: cosine(pool[i]!, q!) , i }));
      scored.sort((a, b) => b.similarity - a.similarity || a.i - b.i);
      chosen = scored.slice(0, k).map(({ example, similarity }) => ({ example, similarity }));
    } else {
      this.fixed ??=
        method === 'balanced' ? balancedSample(this.pool, k, seed) : shuffle(this.pool, subSeed(seed, 'random')).slice(0, k);
      chosen = this.fixed.map((example) => ({ example }));
      if (order === 'similar-last') {
        const all = await this.embeddings();
        const [q] = await this.options.embed!([query]);
        chosen = chosen.map(({ example }) => ({ example, similarity: cosine(all[this.pool.indexOf(example)]!, q!) }));
      }
    }
    if (order === 'similar-last') {
      return chosen.slice().sort((a, b) => a.similarity! - b.similarity!);
    }
    return shuffle(chosen, method === 'knn' ? subSeed(seed, `order:${query}`) : subSeed(seed, 'order'));
  }
}

export class PromptTooLongError extends Error {
  constructor(
    readonly tokens: number,
    readonly budget: number,
  ) {
    super(`the query alone needs ${tokens} tokens, more than the ${budget} the context window leaves`);
    this.name = 'PromptTooLongError';
  }
}

export interface FitOptions {
  demos: readonly SelectedDemo[];
  render: (demos: Example[]) => string;
  tokenize: (text: string) => Promise<number[]>;
  contextLength: number;
  /** Tokens kept free after the prompt (longest label continuation, or max generated tokens). */
  reserveTokens: number;
}

export interface FitResult {
  prompt: string;
  demos: SelectedDemo[];
  dropped: SelectedDemo[];
  tokens: number;
}

/**
 * Render with as many demonstrations as fit: drop the farthest first (lowest similarity when
 * known, else the one farthest from the query in the prompt, i.e. the first). Never drops the
 * query; throws PromptTooLongError when even the query alone does not fit.
 */
export async function fitToContext(o: FitOptions): Promise<FitResult> {
  const budget = o.contextLength - o.reserveTokens;
  let demos = o.demos.slice();
  const dropped: SelectedDemo[] = [];
  for (;;) {
    const prompt = o.render(demos.map((d) => d.example));
    const tokens = (await o.tokenize(prompt)).length;
    if (tokens <= budget) return { prompt, demos, dropped, tokens };
    if (demos.length === 0) throw new PromptTooLongError(tokens, budget);
    let victim = 0;
    if (demos.every((d) => d.similarity !== undefined)) {
      for (let i = 1; i < demos.length; i++) if (demos[i]!.similarity! < demos[victim]!.similarity!) victim = i;
    }
    dropped.push(demos[victim]!);
    demos = demos.filter((_, i) => i !== victim);
  }
}
