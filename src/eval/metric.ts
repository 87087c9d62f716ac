// The primary metric of a comparison: what the advice and the charts rank by. Accuracy misleads
// on imbalanced labels (always answering the frequent label scores high), so the default follows
// the test labels: accuracy when they are roughly balanced, macro-F1 when one label holds more
// than 60% of them. `f1:<label>` ranks by one label's F1 (e.g. the rare class a filter is for).

import type { CellMetrics } from './results.js';

export type MetricName = 'accuracy' | 'macro-f1' | `f1:${string}`;

export interface MetricChoice {
  name: MetricName;
  /** Why this metric: the user's choice, or the label distribution that decided it. */
  reason: string;
}

/** Share of the most frequent test label above which macro-F1 becomes the default. */
export const IMBALANCE_THRESHOLD = 0.6;

/** Validates a metric name against the label set; throws a one-line error naming the option. */
export function parseMetric(s: string, labels?: readonly string[]): MetricName {
  if (s === 'accuracy' || s === 'macro-f1') return s;
  if (s.startsWith('f1:') && s.length > 3) {
    const label = s.slice(3);
    if (labels && !labels.includes(label)) throw new Error(`--metric f1:<label> names a label of the task (${labels.join(', ')}), got "${label}"`);
    return s as MetricName;
  }
  throw new Error(`--metric must be accuracy, macro-f1 or f1:<label>, got "${s}"`);
}

/** Share of each label in `gold`, and the most frequent one. */
export function labelShares(gold: readonly string[], labels: readonly string[]): { shares: Record<string, number>; top: string; topShare: number } {
  const counts: Record<string, number> = Object.fromEntries(labels.map((l) => [l, 0]));
  for (const g of gold) counts[g] = (counts[g] ?? 0) + 1;
  const shares: Record<string, number> = Object.fromEntries(Object.entries(counts).map(([l, n]) => [l, gold.length ? n / gold.length : 0]));
  let top = labels[0] ?? '';
  for (const l of labels) if ((shares[l] ?? 0) > (shares[top] ?? 0)) top = l;
  return { shares, top, topShare: shares[top] ?? 0 };
}

/** The metric to rank by: the requested one, else by the test label distribution. */
export function chooseMetric(gold: readonly string[], labels: readonly string[], requested?: MetricName | string): MetricChoice {
  if (requested !== undefined) {
    const name = parseMetric(requested, labels);
    return { name, reason: `asked for with --metric ${name}` };
  }
  if (gold.length === 0) return { name: 'accuracy', reason: 'the default: no gold test labels to check the balance of' };
  const { top, topShare } = labelShares(gold, labels);
  const pct = `${(topShare * 100).toFixed(0)}%`;
  if (topShare > IMBALANCE_THRESHOLD) {
    return { name: 'macro-f1', reason: `the default on these labels: the most frequent test label, "${top}", holds ${pct} of the test set (over ${IMBALANCE_THRESHOLD * 100}%), so always answering it would score ${pct} accuracy` };
  }
  return { name: 'accuracy', reason: `the default on these labels: they are roughly balanced (the most frequent, "${top}", holds ${pct}; macro-F1 takes over above ${IMBALANCE_THRESHOLD * 100}%)` };
}

/** Short name for tables and axes: "accuracy", "macro-F1", "F1 of spam". */
export function metricTitle(name: MetricName | string): string {
  if (name === 'accuracy') return 'accuracy';
  if (name === 'macro-f1') return 'macro-F1';
  return `F1 of "${name.slice(3)}"`;
}

/** The metric's value for one cell (from its stored metrics). */
export function cellMetric(name: MetricName | string, m: CellMetrics): number {
  if (name === 'accuracy') return m.accuracy;
  if (name === 'macro-f1') return m.macroF1;
  return m.perClassF1[name.slice(3)] ?? 0;
}

/**
 * The metric over label indices (gold and predicted in [0, k), -1 for a prediction outside the
 * label set), for bootstrap resampling: `at` lists the example indices to score.
 */
export function indexMetric(name: MetricName | string, labels: readonly string[]): (gold: Int32Array, pred: Int32Array, at: Int32Array) => number {
  const k = labels.length;
  if (name === 'accuracy') {
    return (gold, pred, at) => {
      let c = 0;
      for (let i = 0; i < at.length; i++) if (gold[at[i]!] === pred[at[i]!]) c++;
      return at.length ? c / at.length : 0;
    };
  }
  const only = name === 'macro-f1' ? -1 : labels.indexOf(name.slice(3));
  const tp = new Float64Array(k), goldN = new Float64Array(k), predN = new Float64Array(k);
  const f1 = (c: number) => (goldN[c]! + predN[c]! > 0 ? (2 * tp[c]!) / (goldN[c]! + predN[c]!) : 0);
  return (gold, pred, at) => {
    tp.fill(0);
    goldN.fill(0);
    predN.fill(0);
    for (let i = 0; i < at.length; i++) {
      const g = gold[at[i]!]!, p = pred[at[i]!]!;
      goldN[g]!++;
      if (p >= 0) predN[p]!++;
      if (g === p) tp[g]!++;
    }
    if (only >= 0) return f1(only);
    let s = 0;
    for (let c = 0; c < k; c++) s += f1(c);
    return k ? s / k : 0;
  };
}
