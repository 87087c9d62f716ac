// The one interface every adapted model answers, however it was made (fine-tuned weights or a
// prompt program over a language model). compare, predict and serve only ever see this.

export interface PredictInput {
  text: string;
  textPair?: string;
}

export interface Prediction {
  label: string;
  /** Probability of every label (sums to 1). */
  probs: Record<string, number>;
}

export interface Classifier {
  /** Stable identifier, e.g. "ft:full:tuneshot-base-encoder" or "icl:builtin:tuneshot-base-lm". */
  readonly id: string;
  readonly labels: readonly string[];
  /** Batched: implementations decide how to split into forward passes. */
  predict(inputs: PredictInput[]): Promise<Prediction[]>;
  dispose?(): Promise<void>;
}
