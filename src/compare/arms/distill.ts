// The distilled arm: at each budget and seed, the ICL teacher (the run's first --icl model, with
// the budget's examples as demonstrations) labels `distillSize` texts of an unlabelled pool, and a
// student (the first --ft model, the first --methods method) is fine-tuned on them through
// distill(). It costs the teacher's labelling once plus the student's per-query cost.
import * as path from 'node:path';
import { distill, loadPool } from '../../distill/distill.js';
import type { Example } from '../../data/dataset.js';
import { parseBackendSpec } from '../../icl/index.js';
import type { LanguageModel } from '../../icl/language-model.js';
import { resolveModel } from '../../models/resolve.js';
import type { Method } from '../../train/methods/index.js';
import type { Arm, ArmCell, ArmContext, ArmOutcome, ArmPlanner } from '../arm.js';
import { iclFingerprint, modelFingerprint, sha } from '../fingerprint.js';
import { inputsOf, predictAll, singleQueryLatency } from '../measure.js';

export const DEFAULT_DISTILL_SIZE = 1000;

export const planDistillArm: ArmPlanner = (ctx) => {
  const o = ctx.options;
  if (o.distill === undefined) return [];
  const size = o.distillSize ?? DEFAULT_DISTILL_SIZE;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`distillSize must be a positive integer, got ${size}`);
  const teacher = o.distillTeacher ?? o.icl?.[0];
  if (teacher === undefined) throw new Error('the distilled arm needs a teacher: give an --icl model');
  const student = o.ft?.[0];
  if (student === undefined) throw new Error('the distilled arm needs a student: give an --ft base model');
  if (typeof teacher === 'string' && parseBackendSpec(teacher).backend === 'builtin') resolveModel(parseBackendSpec(teacher).model);
  resolveModel(student); // fail fast: a missing model is not a failed cell
  const pool = typeof o.distill === 'string' ? loadPool(o.distill) : o.distill.map((e) => ({ text: e.text, ...(e.textPair !== undefined ? { textPair: e.textPair } : {}) }));
  if (pool.length === 0) throw new Error(`the distillation pool${typeof o.distill === 'string' ? ` ${o.distill}` : ''} is empty`);
  return [new DistillArm(teacher, student, o.methods?.[0] ?? 'head', pool, size, ctx)];
};

class DistillArm implements Arm {
  readonly id: string;
  readonly kind = 'distilled' as const;
  readonly label: string;
  readonly model: string;
  readonly variant: string;
  readonly settings: Record<string, unknown>;
  private readonly teacherPrice: number | undefined;
  private readonly studentPrice: number | undefined;
  private readonly epochs: number;

  constructor(
    private readonly teacher: string | LanguageModel,
    private readonly student: string,
    private readonly method: Method,
    private readonly pool: Example[],
    private readonly size: number,
    private readonly ctx: ArmContext,
  ) {
    const o = ctx.options;
    const teacherId = typeof teacher === 'string' ? teacher : teacher.id;
    this.id = `distill:${method}:${student}`;
    this.label = `distilled ${path.basename(student)} (${method}) from ${path.basename(typeof teacher === 'string' ? parseBackendSpec(teacher).model : teacher.id)}`;
    this.model = student;
    this.variant = `${method}, teacher ${teacherId}, ${Math.min(size, pool.length)} pool texts`;
    this.epochs = o.epochs?.[method] ?? (method === 'head' ? 10 : 5);
    this.teacherPrice = ctx.price(typeof teacher === 'string' ? [`icl:${teacher}`, teacher, parseBackendSpec(teacher).backend, 'icl'] : ['icl']);
    this.studentPrice = ctx.price([this.id, 'distilled', student, method, 'ft']);
    this.settings = {
      teacher: typeof teacher === 'string' ? iclFingerprint(teacher) : teacherId, student: modelFingerprint(student), method, size, poolSize: pool.length,
      poolHash: sha(pool.map((e) => [e.text, e.textPair ?? null])), k: o.k ?? 4, calibrate: o.calibrate ?? false, select: o.select ?? 'balanced', instruction: o.instruction ?? null,
      epochs: this.epochs, batchSize: o.batchSize ?? 8, lr: o.lr ?? null, maxLength: o.maxLength ?? 128,
      teacherPrice: this.teacherPrice ?? null, studentPrice: this.studentPrice ?? null,
    };
  }

  /** At budget 0 the teacher labels zero-shot: distillation needs no gold labels at all. */
  runsAt(): boolean {
    return true;
  }

  async run(cell: ArmCell): Promise<ArmOutcome> {
    const o = this.ctx.options;
    const maxLength = o.maxLength ?? 128;
    const r = await distill({
      teacher: this.teacher, k: Math.min(o.k ?? 4, cell.pool.length), calibrate: o.calibrate ?? false, select: o.select ?? 'balanced',
      instruction: o.instruction ?? `Classify the text as one of: ${this.ctx.labels.join(', ')}.`,
      // compare's cells are its checkpoints; the response cache would be a second, shared store.
      cache: false, concurrency: 1,
      demos: cell.pool, pool: this.pool, labels: this.ctx.labels, size: this.size,
      student: {
        model: this.student, method: this.method, epochs: this.epochs, batchSize: o.batchSize ?? 8, maxLength,
        ...(o.lr !== undefined ? { lr: o.lr } : {}),
      },
      seed: cell.seed, quiet: true,
    });
    const clf = r.student;
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
    const usage = r.summary.teacherUsage;
    return {
      predictions,
      train: { wallSeconds: r.summary.timings.labelSeconds + r.finetune.trainSeconds, flops: r.finetune.trainFlops },
      inference: { ...latency, tokensPerQuery, flopsPerQuery: 2 * params * tokensPerQuery },
      params,
      modelSizeBytes: clf.bytes,
      ...(this.studentPrice !== undefined ? { costPer1kQueriesUsd: this.studentPrice * tokensPerQuery } : {}),
      // Prices are USD per 1,000 tokens: the teacher's labelling tokens, paid once.
      ...(this.teacherPrice !== undefined ? { oneOffCostUsd: (this.teacherPrice * usage.tokens) / 1000 } : {}),
    };
  }
}
