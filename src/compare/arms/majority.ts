// The trivial baseline arm: always the most frequent training label. It is the floor the
// degenerate-winner rule measures every other arm against (eval/assess.ts).
import { MajorityClassifier } from '../../classical/majority.js';
import type { Budget } from '../../eval/results.js';
import type { Arm, ArmCell, ArmContext, ArmOutcome, ArmPlanner } from '../arm.js';
import { ALL_BASELINES } from '../options.js';
import { inputsOf, predictAll, singleQueryLatency } from '../measure.js';

export const planMajorityArm: ArmPlanner = (ctx) => ((ctx.options.baselines ?? ALL_BASELINES).includes('majority') ? [new MajorityArm(ctx)] : []);

class MajorityArm implements Arm {
  readonly id = 'baseline:majority';
  readonly kind = 'baseline' as const;
  readonly label = 'majority baseline';
  readonly model = 'majority label';
  readonly settings: Record<string, unknown>;

  constructor(private readonly ctx: ArmContext) {
    this.settings = { version: 1, priced: Object.keys(ctx.options.prices ?? {}).length > 0 };
  }

  /** Needs labelled examples to count. */
  runsAt(budget: Budget): boolean {
    return budget !== 0;
  }

  async run(cell: ArmCell): Promise<ArmOutcome> {
    const t0 = performance.now();
    // The pool of a class-balanced budget is a tie: the whole training set's counts break it.
    const clf = MajorityClassifier.train(cell.pool, this.ctx.labels, this.ctx.train);
    const trainSeconds = (performance.now() - t0) / 1000;
    const inputs = inputsOf(this.ctx.test);
    const predict = (xs: typeof inputs) => clf.predict(xs);
    const predictions = await predictAll(predict, inputs, cell.onQuery, 1024);
    const latency = await singleQueryLatency(predict, inputs, this.ctx.latencySample);
    return {
      predictions,
      train: { wallSeconds: trainSeconds, flops: 0 },
      inference: { ...latency, tokensPerQuery: 0, flopsPerQuery: 0 },
      params: 0,
      modelSizeBytes: Buffer.byteLength(clf.label),
      // No tokens, no model: free wherever the run puts prices on anything.
      ...(Object.keys(this.ctx.options.prices ?? {}).length > 0 ? { costPer1kQueriesUsd: 0 } : {}),
    };
  }
}
