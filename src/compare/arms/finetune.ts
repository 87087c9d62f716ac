// The fine-tuning arms: one per base model and method (full, LoRA, head-only), trained on exactly
// the budget's pool (nothing to train on at budget 0) and scored as a classifier.
import * as path from 'node:path';
import type { Budget } from '../../eval/results.js';
import { TransformerModel, isHeadParam, isLoraParam } from '../../models/model.js';
import { resolveModel } from '../../models/resolve.js';
import { loadPretrained } from '../../models/pretrained.js';
import { finetune } from '../../train/finetune.js';
import { ALL_METHODS, type Method } from '../../train/methods/index.js';
import type { Arm, ArmCell, ArmContext, ArmOutcome, ArmPlanner } from '../arm.js';
import { modelFingerprint } from '../fingerprint.js';
import { inputsOf, predictAll, singleQueryLatency } from '../measure.js';

const METHOD_LABEL: Record<Method, string> = { full: 'full', lora: 'LoRA', head: 'head-only' };

export const planFinetuneArms: ArmPlanner = (ctx) => {
  const methods = ctx.options.methods ?? [...ALL_METHODS];
  for (const m of methods) if (!ALL_METHODS.includes(m)) throw new Error(`unknown fine-tuning method "${m}" (full, lora, head)`);
  // The arms of one base model share its loaded weights (each fine-tuning run copies what it trains).
  const bases = new Map<string, Promise<TransformerModel>>();
  const arms: Arm[] = [];
  for (const base of ctx.options.ft ?? []) {
    resolveModel(base); // fail fast: a missing model is not a failed cell (Hub models are in the cache by now)
    for (const m of methods) arms.push(new FinetuneArm(base, m, ctx, bases));
  }
  return arms;
};

class FinetuneArm implements Arm {
  readonly id: string;
  readonly kind = 'finetune' as const;
  readonly label: string;
  readonly model: string;
  readonly variant: Method;
  readonly settings: Record<string, unknown>;
  private readonly epochs: number;
  private readonly price: number | undefined;

  constructor(private readonly base: string, private readonly method: Method, private readonly ctx: ArmContext, private readonly bases: Map<string, Promise<TransformerModel>>) {
    const o = ctx.options;
    this.id = `ft:${method}:${base}`;
    this.label = `${METHOD_LABEL[method]} FT ${path.basename(base)}`;
    this.model = base;
    this.variant = method;
    this.epochs = o.epochs?.[method] ?? (method === 'head' ? 10 : 5);
    this.price = ctx.price([this.id, base, method, 'ft']);
    this.settings = {
      fingerprint: modelFingerprint(base), epochs: this.epochs, batchSize: o.batchSize ?? 8, lr: o.lr ?? null, maxLength: o.maxLength ?? 128, price: this.price ?? null,
    };
  }

  runsAt(budget: Budget): boolean {
    return budget !== 0;
  }

  async run(cell: ArmCell): Promise<ArmOutcome> {
    const o = this.ctx.options;
    let baseP = this.bases.get(this.base);
    if (!baseP) this.bases.set(this.base, (baseP = loadPretrained(this.base, { quiet: true })));
    const base = await baseP;
    const maxLength = o.maxLength ?? 128;
    const r = await finetune({
      model: base, train: cell.pool, ...(this.ctx.dev ? { dev: this.ctx.dev } : {}), method: this.method, labels: this.ctx.labels,
      epochs: this.epochs, batchSize: Math.min(o.batchSize ?? 8, cell.pool.length), ...(o.lr !== undefined ? { lr: o.lr } : {}),
      maxLength, seed: cell.seed, quiet: true, onWarning: () => undefined,
    });
    const clf = r.model;
    if (!('predict' in clf)) throw new Error('fine-tuning did not produce a classifier');
    const inputs = inputsOf(this.ctx.test);
    const predict = (xs: typeof inputs) => clf.predict(xs);
    const predictions = await predictAll(predict, inputs, cell.onQuery);
    const latency = await singleQueryLatency(predict, inputs, this.ctx.latencySample);
    const tok = clf.model.tokenizer!;
    const maxLen = Math.min(maxLength, clf.model.config.maxPositions);
    let tokens = 0;
    for (const x of inputs) tokens += Math.min(maxLen, tok.encode(x.text, x.textPair ?? null, { addSpecialTokens: true }).length);
    const tokensPerQuery = inputs.length ? tokens / inputs.length : 0;
    const params = clf.model.numParams();
    return {
      predictions,
      train: { wallSeconds: r.trainSeconds, flops: r.trainFlops },
      inference: { ...latency, tokensPerQuery, flopsPerQuery: 2 * params * tokensPerQuery },
      params,
      trainableParams: countTrainable(clf.model, this.method),
      modelSizeBytes: clf.bytes,
      ...(this.price !== undefined ? { costPer1kQueriesUsd: this.price * tokensPerQuery } : {}),
    };
  }
}

function countTrainable(model: TransformerModel, method: Method): number {
  if (method === 'full') return model.numParams();
  let n = 0;
  for (const [name, v] of model.params.values) {
    if (method === 'lora' ? isHeadParam(name) : isHeadParam(name) && !isLoraParam(name)) n += v.data.length;
  }
  return n;
}
