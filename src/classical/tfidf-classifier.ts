// The classical baseline of every comparison: TF-IDF features (word 1-2-grams, sublinear tf) and
// L2-regularised logistic regression, trained in milliseconds on the CPU. It answers the same
// `predict` interface as the fine-tuned and prompted models.

import type { Classifier, PredictInput, Prediction } from '../predictor.js';
import { LogisticRegression, type LogisticOptions } from './logistic.js';
import { TfidfVectorizer, type TfidfOptions } from './tfidf.js';

export interface TfidfClassifierOptions extends TfidfOptions, LogisticOptions {}

export interface LabelledText extends PredictInput {
  label?: string;
}

export class TfidfClassifier implements Classifier {
  readonly id = 'baseline:tfidf';

  private constructor(
    readonly labels: readonly string[],
    readonly vectorizer: TfidfVectorizer,
    /** Labels the model can predict (those present in training), in its class order. */
    readonly trainedLabels: readonly string[],
    readonly model: LogisticRegression | undefined,
    /** Floating-point operations of the fit: 4 per stored feature and scored class (scores, then gradient) per evaluation. */
    readonly trainFlops: number,
  ) {}

  /**
   * Trains on `examples` over the label set `labels` (default: the sorted training labels). Labels
   * without a training example are never predicted; with a single trained label, that label always.
   */
  static train(examples: readonly LabelledText[], labels?: readonly string[], options: TfidfClassifierOptions = {}): TfidfClassifier {
    if (examples.length === 0) throw new Error('TF-IDF baseline: no training examples');
    const labelSet = labels ?? [...new Set(examples.map((e) => e.label ?? ''))].sort();
    for (const e of examples) {
      if (e.label === undefined || !labelSet.includes(e.label)) throw new Error(`TF-IDF baseline: training label "${e.label}" not in the label set (${labelSet.join(', ')})`);
    }
    const trained = labelSet.filter((l) => examples.some((e) => e.label === l));
    const texts = examples.map(textOf);
    const vectorizer = TfidfVectorizer.fit(texts, options);
    if (trained.length < 2) return new TfidfClassifier(labelSet, vectorizer, trained, undefined, 0);
    const index = new Map(trained.map((l, i) => [l, i]));
    const y = Int32Array.from(examples, (e) => index.get(e.label!)!);
    const x = vectorizer.transform(texts);
    const model = LogisticRegression.fit(x, y, trained.length, options);
    return new TfidfClassifier(labelSet, vectorizer, trained, model, 4 * model.evaluations * x.values.length * model.scoredClasses);
  }

  async predict(inputs: PredictInput[]): Promise<Prediction[]> {
    return this.predictSync(inputs);
  }

  predictSync(inputs: readonly PredictInput[]): Prediction[] {
    if (inputs.length === 0) return [];
    const k = this.trainedLabels.length;
    const proba = this.model ? this.model.predictProba(this.vectorizer.transform(inputs.map(textOf))) : undefined;
    return inputs.map((_, i) => {
      const probs: Record<string, number> = Object.fromEntries(this.labels.map((l) => [l, 0]));
      let best = 0;
      for (let c = 0; c < k; c++) {
        const p = proba ? proba[i * k + c]! : 1;
        probs[this.trainedLabels[c]!] = p;
        if (proba && p > proba[i * k + best]!) best = c;
      }
      return { label: this.trainedLabels[best]!, probs };
    });
  }

  /** Classes with their own weights (0 when one label was trained: nothing to score). */
  get scoredClasses(): number {
    return this.model?.scoredClasses ?? 0;
  }

  /** Weights, intercepts and idf values. */
  get parameters(): number {
    return (this.model?.parameters ?? 0) + this.vectorizer.features;
  }

  /** In-memory size: float64 weights and idf, plus the vocabulary's UTF-8 bytes. */
  get bytes(): number {
    let terms = 0;
    for (const t of this.vectorizer.vocabulary.keys()) terms += Buffer.byteLength(t);
    return this.parameters * 8 + terms;
  }
}

/** A pair's texts are joined: TF-IDF has no notion of two segments. */
function textOf(e: PredictInput): string {
  return e.textPair !== undefined ? `${e.text} ${e.textPair}` : e.text;
}
