// Metrics for classification (accuracy, macro-F1, per-class scores, confusion matrix), bootstrap
// intervals, agreement across seeds, summary statistics, and SQuAD-style exact match / token F1
// for generation. Pure functions, no I/O.
import { mulberry32 } from '../engine/random.js';

export interface PerClassScores {
  precision: number;
  recall: number;
  f1: number;
  /** Number of gold examples of this class. */
  support: number;
}

export interface ClassificationMetrics {
  accuracy: number;
  macroF1: number;
  perClass: Record<string, PerClassScores>;
  /** Label order of the confusion matrix rows and columns. */
  labels: string[];
  /** confusion[i][j] = number of examples with gold labels[i] predicted as labels[j]. */
  confusion: number[][];
  /** Predictions that are not among `labels` (counted wrong, absent from the confusion matrix). */
  unknownPredictions: number;
  n: number;
}

function checkLengths(gold: readonly unknown[], pred: readonly unknown[]): void {
  if (gold.length !== pred.length) {
    throw new Error(`gold and pred differ in length: ${gold.length} vs ${pred.length}`);
  }
}

/**
 * Accuracy, macro-F1 (unweighted mean of per-class F1 over `labels`), per-class precision/recall/F1
 * and the confusion matrix. A class with no gold and no predicted examples gets precision, recall
 * and F1 of 0 (as scikit-learn's zero_division=0) and still counts in the macro average.
 */
export function classificationMetrics(
  gold: readonly string[],
  pred: readonly string[],
  labels: readonly string[],
): ClassificationMetrics {
  checkLengths(gold, pred);
  const index = new Map<string, number>();
  labels.forEach((l, i) => index.set(l, i));
  const k = labels.length;
  const confusion: number[][] = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  let unknownPredictions = 0;
  const goldUnknown: string[] = [];
  const goldCounts = new Array<number>(k).fill(0);
  for (let i = 0; i < gold.length; i++) {
    const g = gold[i]!;
    const p = pred[i]!;
    if (g === p) correct++;
    const gi = index.get(g);
    const pi = index.get(p);
    if (gi === undefined) {
      goldUnknown.push(g);
      continue;
    }
    goldCounts[gi]!++;
    if (pi === undefined) {
      unknownPredictions++;
      continue;
    }
    confusion[gi]![pi]!++;
  }
  if (goldUnknown.length > 0) {
    throw new Error(`gold label(s) not in labels: ${[...new Set(goldUnknown)].slice(0, 5).join(', ')}`);
  }
  const perClass: Record<string, PerClassScores> = {};
  let f1Sum = 0;
  for (let c = 0; c < k; c++) {
    const tp = confusion[c]![c]!;
    let predicted = 0;
    for (let r = 0; r < k; r++) predicted += confusion[r]![c]!;
    // Gold examples of class c predicted as an unknown label are misses too, so count support
    // from gold rather than from the confusion row.
    const support = goldCounts[c]!;
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    perClass[labels[c]!] = { precision, recall, f1, support };
    f1Sum += f1;
  }
  return {
    accuracy: gold.length > 0 ? correct / gold.length : 0,
    macroF1: k > 0 ? f1Sum / k : 0,
    perClass,
    labels: [...labels],
    confusion,
    unknownPredictions,
    n: gold.length,
  };
}

export function accuracy(gold: readonly string[], pred: readonly string[]): number {
  checkLengths(gold, pred);
  if (gold.length === 0) return 0;
  let c = 0;
  for (let i = 0; i < gold.length; i++) if (gold[i] === pred[i]) c++;
  return c / gold.length;
}

/** Macro-F1 over the given labels (or, if omitted, over the union of gold and predicted labels). */
export function macroF1(gold: readonly string[], pred: readonly string[], labels?: readonly string[]): number {
  const ls = labels ?? [...new Set([...gold, ...pred])].sort();
  return classificationMetrics(gold, pred, ls).macroF1;
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness (local: mulberry32 over a 32-bit hash of the seed).

/** A deterministic generator of floats in [0, 1). */
/** A seeded generator for bootstrap resampling: the project's mulberry32 on a scrambled seed (nearby seeds, unrelated streams). */
export function seededRandom(seed: number): () => number {
  let a = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b) >>> 0;
  a = Math.imul(a ^ (a >>> 13), 0xc2b2ae35) >>> 0;
  return mulberry32((a ^ (a >>> 16)) >>> 0);
}

export interface Interval {
  /** The metric on the full (unresampled) data. */
  estimate: number;
  lower: number;
  upper: number;
  /** Confidence level, e.g. 0.95. */
  level: number;
  samples: number;
}

export interface BootstrapOptions {
  samples?: number;
  seed?: number;
  /** Default 0.95. */
  level?: number;
}

/**
 * Percentile bootstrap interval of `metricFn(gold, pred)`: resamples example indices with
 * replacement `samples` times (default 1000) with a seeded generator (default seed 0), and returns
 * the (1-level)/2 and 1-(1-level)/2 percentiles of the resampled metric.
 */
export function bootstrapInterval(
  gold: readonly string[],
  pred: readonly string[],
  metricFn: (gold: string[], pred: string[]) => number,
  options: BootstrapOptions = {},
): Interval {
  checkLengths(gold, pred);
  const samples = options.samples ?? 1000;
  const level = options.level ?? 0.95;
  const rand = seededRandom(options.seed ?? 0);
  const n = gold.length;
  const estimate = metricFn([...gold], [...pred]);
  if (n === 0) return { estimate, lower: estimate, upper: estimate, level, samples: 0 };
  const values = new Array<number>(samples);
  const g = new Array<string>(n);
  const p = new Array<string>(n);
  for (let s = 0; s < samples; s++) {
    for (let i = 0; i < n; i++) {
      const j = Math.floor(rand() * n);
      g[i] = gold[j]!;
      p[i] = pred[j]!;
    }
    values[s] = metricFn(g, p);
  }
  return percentileInterval(estimate, values, level);
}

/**
 * Fraction of inputs on which every seed predicts the same label. predsBySeed[s][i] is seed s's
 * prediction for input i. One seed (or none) gives 1.
 */
export function agreement(predsBySeed: readonly (readonly string[])[]): number {
  if (predsBySeed.length <= 1) return 1;
  const n = predsBySeed[0]!.length;
  for (const p of predsBySeed) {
    if (p.length !== n) throw new Error('agreement: prediction lists differ in length');
  }
  if (n === 0) return 1;
  let same = 0;
  for (let i = 0; i < n; i++) {
    const first = predsBySeed[0]![i];
    if (predsBySeed.every((p) => p[i] === first)) same++;
  }
  return same / n;
}

export interface Spread {
  mean: number;
  /** Sample standard deviation (n-1 in the denominator); 0 for fewer than two values. */
  std: number;
  min: number;
  max: number;
  n: number;
}

export function spread(values: readonly number[]): Spread {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN, min: NaN, max: NaN, n: 0 };
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / n;
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  const std = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  return { mean, std, min, max, n };
}

/** p-th percentile (0..100) with linear interpolation between closest ranks (numpy's default). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile: p must be in [0, 100], got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const frac = rank - lo;
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * frac;
}

// ---------------------------------------------------------------------------------------------
// Generation metrics, SQuAD-style.

/** Lower-case, strip punctuation and the articles a/an/the, collapse whitespace. */
export function normalizeAnswer(s: string): string {
  let t = s.toLowerCase();
  t = t.replace(/[\p{P}\p{S}]/gu, '');
  t = t.replace(/\b(a|an|the)\b/g, ' ');
  return t.split(/\s+/).filter((w) => w.length > 0).join(' ');
}

export function exactMatch(prediction: string, reference: string | readonly string[]): number {
  const refs = typeof reference === 'string' ? [reference] : reference;
  const p = normalizeAnswer(prediction);
  return refs.some((r) => normalizeAnswer(r) === p) ? 1 : 0;
}

function tokenF1One(prediction: string, reference: string): number {
  const p = normalizeAnswer(prediction).split(' ').filter((w) => w.length > 0);
  const r = normalizeAnswer(reference).split(' ').filter((w) => w.length > 0);
  if (p.length === 0 || r.length === 0) return p.length === r.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const w of r) counts.set(w, (counts.get(w) ?? 0) + 1);
  let common = 0;
  for (const w of p) {
    const c = counts.get(w) ?? 0;
    if (c > 0) {
      common++;
      counts.set(w, c - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / p.length;
  const recall = common / r.length;
  return (2 * precision * recall) / (precision + recall);
}

/** Token-overlap F1 after normalization; with several references, the best. */
export function tokenF1(prediction: string, reference: string | readonly string[]): number {
  const refs = typeof reference === 'string' ? [reference] : reference;
  let best = 0;
  for (const r of refs) best = Math.max(best, tokenF1One(prediction, r));
  return best;
}

/**
 * Percentile bootstrap interval of the mean of `values` (e.g. per-example correctness, or
 * per-example correctness averaged over seeds): resamples the values with replacement.
 */
export function bootstrapMeanInterval(values: readonly number[], options: BootstrapOptions = {}): Interval {
  const samples = options.samples ?? 1000;
  const level = options.level ?? 0.95;
  const n = values.length;
  if (n === 0) return { estimate: NaN, lower: NaN, upper: NaN, level, samples: 0 };
  const estimate = values.reduce((a, b) => a + b, 0) / n;
  const rand = seededRandom(options.seed ?? 0);
  const means = new Array<number>(samples);
  for (let s = 0; s < samples; s++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[Math.floor(rand() * n)]!;
    means[s] = sum / n;
  }
  return percentileInterval(estimate, means, level);
}

/** The central `level` percentile interval of bootstrap replicates around a point estimate. */
function percentileInterval(estimate: number, replicates: number[], level: number): Interval {
  const alpha = (1 - level) / 2;
  return { estimate, lower: percentile(replicates, alpha * 100), upper: percentile(replicates, (1 - alpha) * 100), level, samples: replicates.length };
}
