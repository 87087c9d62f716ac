// Measuring a classifier the same way for every arm that has one: predictions in batches (for
// throughput), then latency one query at a time on a sample (what a user's single request sees).
import { percentile } from '../eval/metrics.js';
import type { Example } from '../data/dataset.js';
import type { PredictInput, Prediction } from '../predictor.js';

export function inputsOf(examples: readonly Example[]): PredictInput[] {
  return examples.map((e) => ({ text: e.text, ...(e.textPair !== undefined ? { textPair: e.textPair } : {}) }));
}

/** Predicted labels of every input, `batch` at a time, reporting progress. */
export async function predictAll(
  predict: (inputs: PredictInput[]) => Promise<Prediction[]> | Prediction[],
  inputs: readonly PredictInput[],
  onQuery: (done: number, total: number) => void,
  batch = 32,
): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < inputs.length; i += batch) {
    for (const p of await predict(inputs.slice(i, i + batch))) out.push(p.label);
    onQuery(Math.min(i + batch, inputs.length), inputs.length);
  }
  return out;
}

/** p50/p95 of single-query latency over the first `sample` inputs; one untimed warm-up call first (graph build, caches). */
export async function singleQueryLatency(
  predict: (inputs: PredictInput[]) => Promise<Prediction[]> | Prediction[],
  inputs: readonly PredictInput[],
  sample: number,
): Promise<{ p50Ms: number; p95Ms: number }> {
  const n = Math.min(sample, inputs.length);
  if (n === 0) return { p50Ms: 0, p95Ms: 0 };
  await predict([inputs[0]!]);
  const latencies: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await predict([inputs[i]!]);
    latencies.push(performance.now() - t0);
  }
  return { p50Ms: percentile(latencies, 50), p95Ms: percentile(latencies, 95) };
}
