// The classical baseline arm: TF-IDF (word 1-2-grams, sublinear tf) + L2 logistic regression,
// trained on the same pool as the fine-tuned arms. If it is as good as the learned arms, a cheap
// classical model is enough, and the advice says so.
import { TfidfClassifier } from '../../classical/tfidf-classifier.js';
import type { Budget } from '../../eval/results.js';
import type { Arm, ArmCell, ArmContext, ArmOutcome, ArmPlanner } from '../arm.js';
import { ALL_BASELINES } from '../options.js';
import { inputsOf, predictAll, singleQueryLatency } from '../measure.js';

/** Inverse L2 strength (scikit-learn's C); bench:baselines checks the figures against scikit-learn with it. */
export const TFIDF_C = 10;

export const planTfidfArm: ArmPlanner = (ctx) => ((ctx.options.baselines ?? ALL_BASELINES).includes('tfidf') ? [new TfidfArm(ctx)] : []);

class TfidfArm implements Arm {
  readonly id = 'baseline:tfidf';
  readonly kind = 'baseline' as const;
  readonly label = 'TF-IDF + LR baseline';
  readonly model = 'TF-IDF + logistic regression';
  readonly variant = `word 1-2-grams, sublinear tf, L2 C=${TFIDF_C}`;
  readonly settings: Record<string, unknown>;
  private readonly price: number | undefined;

  constructor(private readonly ctx: ArmContext) {
    this.price = ctx.price([this.id, 'baseline']);
    this.settings = { version: 1, C: TFIDF_C, ngramRange: [1, 2], sublinearTf: true, price: this.price ?? null };
  }

  runsAt(budget: Budget): boolean {
    return budget !== 0;
  }

  async run(cell: ArmCell): Promise<ArmOutcome> {
    const t0 = performance.now();
    const clf = TfidfClassifier.train(cell.pool, this.ctx.labels, { C: TFIDF_C });
    const trainSeconds = (performance.now() - t0) / 1000;
    const inputs = inputsOf(this.ctx.test);
    const predict = (xs: typeof inputs) => clf.predictSync(xs);
    const predictions = await predictAll(predict, inputs, cell.onQuery, 256);
    const latency = await singleQueryLatency(predict, inputs, this.ctx.latencySample);
    // Per query: the words read, and a multiply-add per stored feature and scored class.
    const rows = clf.vectorizer.transform(inputs.map((x) => (x.textPair !== undefined ? `${x.text} ${x.textPair}` : x.text)));
    const n = Math.max(1, inputs.length);
    const words = inputs.reduce((a, x) => a + clf.vectorizer.words(x.text) + (x.textPair !== undefined ? clf.vectorizer.words(x.textPair) : 0), 0) / n;
    const flopsPerQuery = (2 * rows.values.length * clf.scoredClasses) / n;
    return {
      predictions,
      train: { wallSeconds: trainSeconds, flops: clf.trainFlops },
      inference: { ...latency, tokensPerQuery: words, flopsPerQuery },
      params: clf.parameters,
      modelSizeBytes: clf.bytes,
      ...(this.price !== undefined ? { costPer1kQueriesUsd: this.price * words } : {}),
    };
  }
}
