// Rank classification by label log-likelihood (summed or length-normalized), contextual
// calibration (Zhao et al. 2021), IclClassifier (a Classifier over a LanguageModel and a prompt
// program), and generation for open-ended tasks.

import type { Example } from '../data/dataset.js';
import type { Classifier, PredictInput, Prediction } from '../predictor.js';
import type { LanguageModel } from './language-model.js';
import { continuationFor, queryText, renderPrompt, verbalize, type PromptProgram, type RenderOptions } from './prompt.js';
import { DemoSelector, fitToContext, type EmbedFn, type SelectedDemo } from './select.js';
import { RANGES, checkRange } from '../options/ranges.js';

/** Content-free inputs averaged for calibration. */
export const CONTENT_FREE_INPUTS = ['N/A', '', '[MASK]'] as const;

export function logSumExp(xs: readonly number[]): number {
  const m = Math.max(...xs);
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (const x of xs) s += Math.exp(x - m);
  return m + Math.log(s);
}

export function softmax(scores: readonly number[]): number[] {
  const z = logSumExp(scores);
  if (z === -Infinity) return scores.map(() => 1 / scores.length);
  return scores.map((s) => Math.exp(s - z));
}

/** p' ∝ p / p_cf (the diagonal W = diag(p_cf)^-1 of Zhao et al. 2021, b = 0), renormalized. */
export function calibrateProbs(p: readonly number[], pcf: readonly number[]): number[] {
  const q = p.map((v, i) => v / Math.max(pcf[i]!, 1e-12));
  const s = q.reduce((a, b) => a + b, 0);
  return s > 0 && Number.isFinite(s) ? q.map((v) => v / s) : p.map(() => 1 / p.length);
}

export function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
  return best;
}

/**
 * Log-score of each label after the prompt: summed (or per-token mean) log-likelihood of the
 * verbalizer's tokens; several words of one label are alternatives (log-sum-exp of their scores).
 */
export async function scoreLabels(
  lm: LanguageModel,
  prompt: string,
  program: PromptProgram,
  render: RenderOptions = {},
): Promise<number[]> {
  const words = program.labels.map((l) => verbalize(program, l));
  const flat = words.flat().map((w) => continuationFor(program, w, render));
  const scores = await lm.scoreContinuations(prompt, flat);
  let j = 0;
  return words.map((ws) => {
    const alt = ws.map(() => {
      const t = scores[j++]!.tokenLogprobs;
      const sum = t.reduce((a, b) => a + b, 0);
      return program.scoring === 'mean' ? sum / Math.max(1, t.length) : sum;
    });
    return logSumExp(alt);
  });
}

export interface IclClassifierOptions {
  lm: LanguageModel;
  program: PromptProgram;
  /** Demonstration pool; defaults to program.demonstrations. */
  pool?: readonly Example[];
  /** For kNN selection / similar-last order; defaults to lm.embed. */
  embed?: EmbedFn;
  id?: string;
  /** Queries scored at once (the LM may limit further). Default 4. */
  concurrency?: number;
}

export interface DetailedPrediction extends Prediction {
  /** Probabilities before calibration. */
  rawProbs: Record<string, number>;
  prompt: string;
  demonstrations: Example[];
  droppedDemonstrations: number;
}

/** `fn` over `items` with at most `limit` calls in flight; results in input order. */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
  return out;
}

export class IclClassifier implements Classifier {
  readonly id: string;
  readonly labels: readonly string[];
  readonly lm: LanguageModel;
  readonly program: PromptProgram;
  private readonly selector: DemoSelector;
  private readonly render: RenderOptions;
  private readonly concurrency: number;
  private reserve: Promise<number> | undefined;
  private readonly cfCache = new Map<string, Promise<number[]>>();

  constructor(o: IclClassifierOptions) {
    if (o.program.task !== 'classify') throw new Error('IclClassifier needs a classification prompt program');
    checkRange('IclClassifier: concurrency', o.concurrency, RANGES.concurrency);
    this.lm = o.lm;
    this.program = o.program;
    this.labels = o.program.labels;
    this.id = o.id ?? `icl:${o.lm.id}`;
    this.render = { chatTemplate: o.lm.chatTemplate };
    this.concurrency = o.concurrency ?? 4;
    const embed = o.embed ?? (o.lm.embed ? (t: string[]) => o.lm.embed!(t) : undefined);
    this.selector = new DemoSelector(o.pool ?? o.program.demonstrations ?? [], {
      k: o.program.k,
      method: o.program.selection.method,
      order: o.program.selection.order,
      seed: o.program.selection.seed,
      embed,
    });
  }

  /** Tokens to keep free for the longest label continuation. */
  private reserveTokens(): Promise<number> {
    this.reserve ??= (async () => {
      let max = 0;
      for (const l of this.program.labels) {
        for (const w of verbalize(this.program, l)) {
          max = Math.max(max, (await this.lm.tokenize(continuationFor(this.program, w, this.render))).length);
        }
      }
      return max;
    })();
    return this.reserve;
  }

  private async promptFor(query: string): Promise<{ prompt: string; demos: SelectedDemo[]; dropped: number }> {
    const selected = await this.selector.select(query);
    const fit = await fitToContext({
      demos: selected,
      render: (d) => renderPrompt(this.program, d, query, this.render),
      tokenize: (t) => this.lm.tokenize(t),
      contextLength: this.lm.contextLength,
      reserveTokens: await this.reserveTokens(),
    });
    return { prompt: fit.prompt, demos: fit.demos, dropped: fit.dropped.length };
  }

  /** Average label distribution of the content-free inputs after the same demonstrations. */
  contentFreeProbs(demos: readonly Example[]): Promise<number[]> {
    const key = JSON.stringify(demos.map((d) => [d.text, d.textPair ?? null, d.label ?? null]));
    let p = this.cfCache.get(key);
    if (!p) {
      p = (async () => {
        const acc = new Array<number>(this.labels.length).fill(0);
        for (const cf of CONTENT_FREE_INPUTS) {
          const prompt = renderPrompt(this.program, demos, cf, this.render);
          const probs = softmax(await scoreLabels(this.lm, prompt, this.program, this.render));
          probs.forEach((v, i) => (acc[i]! += v / CONTENT_FREE_INPUTS.length));
        }
        return acc;
      })();
      p.catch(() => this.cfCache.delete(key));
      this.cfCache.set(key, p);
    }
    return p;
  }

  async predictOne(input: PredictInput): Promise<DetailedPrediction> {
    const query = queryText(input);
    const { prompt, demos, dropped } = await this.promptFor(query);
    const raw = softmax(await scoreLabels(this.lm, prompt, this.program, this.render));
    const examples = demos.map((d) => d.example);
    const probs = this.program.calibrate ? calibrateProbs(raw, await this.contentFreeProbs(examples)) : raw;
    const rec = (ps: number[]) => Object.fromEntries(this.labels.map((l, i) => [l, ps[i]!]));
    return {
      label: this.labels[argmax(probs)]!,
      probs: rec(probs),
      rawProbs: rec(raw),
      prompt,
      demonstrations: examples,
      droppedDemonstrations: dropped,
    };
  }

  async predictDetailed(inputs: PredictInput[]): Promise<DetailedPrediction[]> {
    return mapConcurrent(inputs, this.concurrency, (x) => this.predictOne(x));
  }

  async predict(inputs: PredictInput[]): Promise<Prediction[]> {
    const detailed = await this.predictDetailed(inputs);
    return detailed.map(({ label, probs }) => ({ label, probs }));
  }
}

export interface IclGeneratorOptions {
  lm: LanguageModel;
  program: PromptProgram;
  pool?: readonly Example[];
  embed?: EmbedFn;
  maxTokens?: number;
  /** Default ["\n"]: answers are one line. */
  stop?: string[];
}

/** Open-ended answers from a generation prompt program (greedy). */
export class IclGenerator {
  private readonly selector: DemoSelector;
  private readonly render: RenderOptions;
  constructor(private readonly o: IclGeneratorOptions) {
    this.render = { chatTemplate: o.lm.chatTemplate };
    const embed = o.embed ?? (o.lm.embed ? (t: string[]) => o.lm.embed!(t) : undefined);
    this.selector = new DemoSelector(o.pool ?? o.program.demonstrations ?? [], {
      k: o.program.k,
      method: o.program.selection.method === 'balanced' ? 'random' : o.program.selection.method,
      order: o.program.selection.order,
      seed: o.program.selection.seed,
      embed,
    });
  }

  async answer(query: string): Promise<{ text: string; prompt: string }> {
    const maxTokens = this.o.maxTokens ?? 32;
    const fit = await fitToContext({
      demos: await this.selector.select(query),
      render: (d) => renderPrompt(this.o.program, d, query, this.render),
      tokenize: (t) => this.o.lm.tokenize(t),
      contextLength: this.o.lm.contextLength,
      reserveTokens: maxTokens,
    });
    const g = await this.o.lm.generate(fit.prompt, { maxTokens, stop: this.o.stop ?? ['\n'], temperature: 0 });
    return { text: g.text.trim(), prompt: fit.prompt };
  }
}
