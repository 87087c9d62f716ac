// The trivial baseline: always the most frequent training label. Any method worth recommending has
// to beat it; a method that does not is no better than guessing the prior.

import type { Classifier, PredictInput, Prediction } from '../predictor.js';

export class MajorityClassifier implements Classifier {
  readonly id = 'baseline:majority';

  constructor(readonly labels: readonly string[], readonly label: string) {
    if (!labels.includes(label)) throw new Error(`majority baseline: "${label}" is not in the label set (${labels.join(', ')})`);
  }

  /**
   * The most frequent label of `examples`; ties (a class-balanced budget always ties) are broken by
   * the label's frequency in `prior` (the whole training set), then by label order.
   */
  static train(examples: ReadonlyArray<{ label?: string }>, labels: readonly string[], prior: ReadonlyArray<{ label?: string }> = []): MajorityClassifier {
    if (examples.length === 0) throw new Error('majority baseline: no training examples');
    const count = (xs: ReadonlyArray<{ label?: string }>) => {
      const m = new Map<string, number>();
      for (const e of xs) if (e.label !== undefined) m.set(e.label, (m.get(e.label) ?? 0) + 1);
      return m;
    };
    const own = count(examples), wide = count(prior);
    const best = [...labels].sort((a, b) => (own.get(b) ?? 0) - (own.get(a) ?? 0) || (wide.get(b) ?? 0) - (wide.get(a) ?? 0))[0]!;
    return new MajorityClassifier(labels, best);
  }

  async predict(inputs: PredictInput[]): Promise<Prediction[]> {
    return inputs.map(() => ({ label: this.label, probs: Object.fromEntries(this.labels.map((l) => [l, l === this.label ? 1 : 0])) }));
  }
}
