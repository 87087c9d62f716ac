// The teacher of distillation: any in-context learning backend with a prompt program labels texts
// with its (calibrated) label probabilities. It goes through the response cache, so an interrupted
// labelling run resumes without paying twice, and it meters what it sends: every label-scoring call
// counts its prompt and continuation tokens, as compare counts an ICL query, once for the whole
// labelling (cached or not) and once for the calls that actually reached the model in this run.
import type { Example } from '../data/dataset.js';
import { IclClassifier, mapConcurrent } from '../icl/classify.js';
import { createLanguageModel, parseBackendSpec } from '../icl/backends/index.js';
import { CachedLanguageModel, defaultCachePath, withCache } from '../icl/cache.js';
import type { ContinuationScore, GenerateOptions, Generation, LanguageModel } from '../icl/language-model.js';
import { createPromptProgram, type DemoOrder, type PromptProgram, type SelectionMethod } from '../icl/prompt.js';
import { truncateAll, truncateTokens } from '../icl/truncate.js';
import type { PredictInput } from '../predictor.js';

/** The teacher and its in-context learning options: the same knobs as `tuneshot icl`. */
export interface TeacherOptions {
  /** "<backend>:<model>" (openai:gpt-4o-mini, llamacpp:/m.gguf, builtin:tuneshot-base-lm) or a loaded model (not disposed here). */
  teacher: string | LanguageModel;
  /** Merged into the backend spec (baseURL, apiKey, ...). */
  backendOptions?: Record<string, unknown>;
  /** Demonstrations a prompt (default 8). */
  k?: number;
  select?: SelectionMethod;
  order?: DemoOrder;
  calibrate?: boolean;
  scoring?: 'sum' | 'mean';
  instruction?: string;
  template?: string;
  verbalizers?: Record<string, string | string[]>;
  useChatTemplate?: boolean;
  /** A complete prompt program overrides the settings above (its labels too). */
  program?: PromptProgram;
  /** Texts scored at once (default 4). */
  concurrency?: number;
  /** Response cache: true (default, $TUNESHOT_HOME/cache.sqlite), false, or a database path. */
  cache?: boolean | string;
}

export interface TeacherLabel {
  /** The teacher's label: the most probable one. */
  label: string;
  /** Calibrated (when asked) probability of every label. */
  probs: Record<string, number>;
  /** Probability of the teacher's label. */
  confidence: number;
}

export interface TeacherUsage {
  /** Texts labelled. */
  queries: number;
  /** Label-scoring calls and their tokens (prompt + continuations), cached or not. */
  calls: number;
  tokens: number;
  /** The part of the above that reached the model in this run (not answered by the cache). */
  newCalls: number;
  newTokens: number;
  seconds: number;
}

/** Counts scoreContinuations calls and their tokens on the way to `inner`. */
class MeteredLanguageModel implements LanguageModel {
  readonly id: string;
  readonly contextLength: number;
  readonly chatTemplate?: string;
  embed?: (texts: string[]) => Promise<Float32Array[]>;
  detokenize?: (tokens: number[]) => Promise<string>;
  calls = 0;
  tokens = 0;
  constructor(
    private readonly inner: LanguageModel,
    /** Token counter; the cached model's, so that counting costs no model calls on a rerun. */
    private readonly count: () => (text: string) => Promise<number>,
  ) {
    this.id = inner.id;
    this.contextLength = inner.contextLength;
    if (inner.chatTemplate !== undefined) this.chatTemplate = inner.chatTemplate;
    if (inner.embed) this.embed = inner.embed.bind(inner);
    if (inner.detokenize) this.detokenize = inner.detokenize.bind(inner);
  }
  tokenize(text: string): Promise<number[]> {
    return this.inner.tokenize(text);
  }
  async scoreContinuations(prompt: string, continuations: string[]): Promise<ContinuationScore[]> {
    const out = await this.inner.scoreContinuations(prompt, continuations);
    const count = this.count();
    let n = await count(prompt);
    for (const c of continuations) n += await count(c);
    this.calls++;
    this.tokens += n;
    return out;
  }
  generate(prompt: string, options: GenerateOptions): Promise<Generation> {
    return this.inner.generate(prompt, options);
  }
  async dispose(): Promise<void> {
    await this.inner.dispose?.();
  }
}

export interface OpenedTeacher {
  /** The model as the classifier sees it (cached and metered). */
  lm: LanguageModel;
  program: PromptProgram;
  labels: string[];
  /** Label texts (truncated for the teacher's eyes only); progress after each. */
  label(inputs: PredictInput[], onProgress?: (done: number, total: number) => void): Promise<TeacherLabel[]>;
  /** Usage since the teacher was opened. */
  usage(): TeacherUsage;
  dispose(): Promise<void>;
}

function checkTeacherOptions(o: TeacherOptions): void {
  const k = o.program?.k ?? o.k;
  if (k !== undefined && (!Number.isInteger(k) || k < 0)) throw new RangeError(`k must be a non-negative integer, got ${k}`);
  if (o.concurrency !== undefined && (!Number.isInteger(o.concurrency) || o.concurrency < 1)) throw new RangeError(`concurrency must be a positive integer, got ${o.concurrency}`);
  if (o.select !== undefined && !['random', 'balanced', 'knn'].includes(o.select)) throw new RangeError(`select must be random, balanced or knn, got "${o.select}"`);
  if (o.scoring !== undefined && o.scoring !== 'sum' && o.scoring !== 'mean') throw new RangeError(`scoring must be sum or mean, got "${o.scoring}"`);
  if (typeof o.teacher === 'string') parseBackendSpec(o.teacher);
}

/**
 * Open a teacher: create (or take) the language model, wrap it in the response cache and the
 * meters, build its prompt program over `labels` and the gold demonstrations `demos`.
 */
export async function openTeacher(o: TeacherOptions & { labels: string[]; demos: Example[]; seed?: number }): Promise<OpenedTeacher> {
  checkTeacherOptions(o);
  const owned = typeof o.teacher === 'string';
  const raw = typeof o.teacher === 'string' ? await createLanguageModel({ ...parseBackendSpec(o.teacher), ...(o.backendOptions ?? {}) }) : o.teacher;
  let counter: (text: string) => Promise<number> = async (t) => (await raw.tokenize(t)).length;
  const paid = new MeteredLanguageModel(raw, () => counter);
  const cached = o.cache === false ? paid : withCache(paid, typeof o.cache === 'string' ? o.cache : defaultCachePath());
  counter = async (t) => (await cached.tokenize(t)).length;
  const lm = new MeteredLanguageModel(cached, () => counter);
  const dispose = async () => {
    // The cache wrapper closes its database and disposes what it wraps; a model given to us stays open.
    if (cached instanceof CachedLanguageModel) cached.cache.close();
    if (owned) await raw.dispose?.();
  };
  try {
    const program = o.program ?? createPromptProgram({
      task: 'classify', labels: o.labels, k: o.k ?? 8,
      selection: { method: o.select ?? 'balanced', order: o.order ?? 'random', seed: o.seed ?? 0 },
      calibrate: o.calibrate ?? false, scoring: o.scoring ?? 'sum', useChatTemplate: o.useChatTemplate ?? false,
      ...(o.instruction !== undefined ? { instruction: o.instruction } : {}),
      ...(o.template !== undefined ? { template: o.template } : {}),
      ...(o.verbalizers !== undefined ? { verbalizers: o.verbalizers } : {}),
    });
    if (program.task !== 'classify') throw new Error('the teacher needs a classification prompt program');
    // As `tuneshot icl` does: demonstrations and query share a small context window equally.
    const perText = Math.max(16, Math.floor((lm.contextLength - 64) / (program.k + 1)));
    const demos = (await truncateAll(lm, o.demos, perText)).items;
    const concurrency = o.concurrency ?? 4;
    const clf = new IclClassifier({ lm, program, pool: demos, concurrency });
    let queries = 0, seconds = 0;
    return {
      lm, program, labels: [...program.labels],
      async label(inputs, onProgress) {
        const t0 = performance.now();
        let done = 0;
        try {
          return await mapConcurrent(inputs, concurrency, async (x) => {
            const text = await truncateTokens(lm, x.text, perText);
            const p = await clf.predictOne({ text, ...(x.textPair !== undefined ? { textPair: x.textPair } : {}) });
            queries++;
            onProgress?.(++done, inputs.length);
            return { label: p.label, probs: p.probs, confidence: p.probs[p.label]! };
          });
        } finally {
          seconds += (performance.now() - t0) / 1000;
        }
      },
      usage: () => ({ queries, calls: lm.calls, tokens: lm.tokens, newCalls: paid.calls, newTokens: paid.tokens, seconds }),
      dispose,
    };
  } catch (e) {
    await dispose();
    throw e;
  }
}
