// Soft labels for classification training (distillation): when any training example carries a
// target distribution (Example.labelProbs), every row gets one (one-hot from its label where it has
// none) and the loss is cross-entropy to it instead of to the label index.
import { type Graph, type HostTensor, type Tensor, ops as o } from '../engine/index.js';
import type { Example } from '../data/dataset.js';

/** True when the examples call for the soft-label loss. */
export const hasSoftLabels = (examples: readonly Example[]) => examples.some((e) => e.labelProbs !== undefined);

/** An example's target distribution in label order: its labelProbs normalized, else one-hot on `label` (an index). */
export function softTarget(ex: Example, labels: readonly string[], label: number): number[] {
  if (!ex.labelProbs) return labels.map((_, i) => (i === label ? 1 : 0));
  const t = labels.map((l) => ex.labelProbs![l] ?? 0);
  const sum = t.reduce((a, b) => a + b, 0);
  if (!(sum > 0) || t.some((v) => !(v >= 0) || !Number.isFinite(v))) {
    throw new Error(`labelProbs of "${ex.text.slice(0, 40)}" are not a distribution over ${JSON.stringify(labels)}`);
  }
  return t.map((v) => v / sum);
}

/** Cross-entropy of a classification graph's logits [n, C] to a fed `label_probs` [n, C]. */
export function softLoss(g: Graph, logits: Tensor, numLabels: number): Tensor {
  return o.softCrossEntropy(logits, g.input('label_probs', 'float32', ['n', numLabels]));
}

/** The `label_probs` feed of a batch's targets. */
export function targetFeed(targets: number[][]): HostTensor {
  return { data: Float32Array.from(targets.flat()), shape: [targets.length, targets[0]!.length] };
}
