// The in-context learning arm: a language model prompted with the budget's examples as
// demonstrations (none at budget 0: zero-shot), scoring each label's continuation.
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { Example } from '../../data/dataset.js';
import { percentile } from '../../eval/metrics.js';
import type { Budget } from '../../eval/results.js';
import { IclClassifier } from '../../icl/classify.js';
import { createLanguageModel, parseBackendSpec, type LanguageModel } from '../../icl/index.js';
import { continuationFor, createPromptProgram, verbalize } from '../../icl/prompt.js';
import { truncateTokens } from '../../icl/truncate.js';
import { resolveModel } from '../../models/resolve.js';
import type { Arm, ArmCell, ArmContext, ArmOutcome, ArmPlanner } from '../arm.js';
import { iclFingerprint } from '../fingerprint.js';

export const planIclArms: ArmPlanner = (ctx) => {
  const seen = new Set<string>();
  return (ctx.options.icl ?? []).map((spec) => {
    const { backend, model } = parseBackendSpec(spec);
    if (backend === 'builtin') resolveModel(model); // fail fast: a missing model is not a failed cell
    if (seen.has(spec)) throw new Error(`ICL model "${spec}" given twice`);
    seen.add(spec);
    return new IclArm(spec, ctx);
  });
};

interface IclSettings {
  k: number;
  calibrate: boolean;
  select: 'random' | 'balanced' | 'knn';
  instruction: string;
}

class IclArm implements Arm {
  readonly id: string;
  readonly kind = 'icl' as const;
  readonly label: string;
  readonly model: string;
  readonly variant: string;
  readonly settings: Record<string, unknown>;
  private readonly s: IclSettings;
  private readonly price: number | undefined;
  private lm?: Promise<LanguageModel>;

  constructor(private readonly spec: string, private readonly ctx: ArmContext) {
    const o = ctx.options;
    const { backend, model } = parseBackendSpec(spec);
    this.s = {
      k: o.k ?? 4, calibrate: o.calibrate ?? false, select: o.select ?? 'balanced',
      instruction: o.instruction ?? `Classify the text as one of: ${ctx.labels.join(', ')}.`,
    };
    this.id = `icl:${spec}`;
    this.label = `ICL ${path.basename(model)}`;
    this.model = spec;
    this.variant = this.s.calibrate ? 'rank+calibrate' : 'rank';
    this.price = ctx.price([this.id, spec, backend, 'icl']);
    this.settings = { fingerprint: iclFingerprint(spec), ...this.s, price: this.price ?? null };
  }

  runsAt(): boolean {
    return true;
  }

  /** Zero-shot has no pool to draw: every seed gives the same prompts. */
  seedIndependent(budget: Budget): boolean {
    return budget === 0;
  }

  async run(cell: ArmCell): Promise<ArmOutcome> {
    const lm = await (this.lm ??= createLanguageModel(this.spec));
    const { labels, test } = this.ctx;
    const started = performance.now();
    const k = Math.min(this.s.k, cell.pool.length);
    const program = createPromptProgram({
      task: 'classify', labels, k, instruction: this.s.instruction, calibrate: this.s.calibrate,
      selection: { method: this.s.select, order: 'random', seed: cell.seed },
    });
    // Long texts are cut so that the query and k demonstrations share the context window.
    const words = labels.flatMap((l) => verbalize(program, l));
    const wordTokens = await Promise.all(words.map(async (w) => (await lm.tokenize(continuationFor(program, w))).length));
    const labelTokens = wordTokens.reduce((a, b) => a + b, 0);
    const overhead = (await lm.tokenize(`${this.s.instruction}\n\nText: \nLabel:`)).length + 8 * (k + 1) + Math.max(...wordTokens);
    const perText = Math.max(16, Math.floor((lm.contextLength - overhead) / (k + 1)));
    const cut = async (e: Example): Promise<Example> => ({ ...e, text: await truncateTokens(lm, e.text, perText) });
    const demos = await Promise.all(cell.pool.map(cut));
    const clf = new IclClassifier({ lm, program, pool: demos, concurrency: 1 });
    const prepSeconds = (performance.now() - started) / 1000;
    const predictions: string[] = [];
    const latencies: number[] = [];
    let promptTokens = 0;
    for (let i = 0; i < test.length; i++) {
      const q = await cut(test[i]!);
      const t0 = performance.now();
      const [p] = await clf.predictDetailed([{ text: q.text, ...(q.textPair !== undefined ? { textPair: q.textPair } : {}) }]);
      latencies.push(performance.now() - t0);
      predictions.push(p!.label);
      promptTokens += (await lm.tokenize(p!.prompt)).length;
      cell.onQuery(i + 1, test.length);
    }
    const params = lmParams(lm);
    const tokensPerQuery = test.length ? promptTokens / test.length + labelTokens : 0;
    const { backend, model } = parseBackendSpec(this.spec);
    const sizeBytes = backend === 'llamacpp' && existsSync(model) ? statSync(model).size : params * 4;
    return {
      predictions,
      train: { wallSeconds: prepSeconds, flops: 0 },
      inference: { p50Ms: percentile(latencies, 50) || 0, p95Ms: percentile(latencies, 95) || 0, tokensPerQuery, flopsPerQuery: 2 * params * tokensPerQuery },
      params,
      modelSizeBytes: sizeBytes,
      ...(this.price !== undefined ? { costPer1kQueriesUsd: this.price * tokensPerQuery } : {}),
    };
  }

  async dispose(): Promise<void> {
    if (this.lm) await this.lm.then((lm) => lm.dispose?.()).catch(() => undefined);
  }
}

/** Parameters of a language model where the backend can tell (the builtin engine can). */
function lmParams(lm: LanguageModel): number {
  const m = (lm as unknown as { model?: { numParams?: () => number } }).model;
  return typeof m?.numParams === 'function' ? m.numParams() : 0;
}
