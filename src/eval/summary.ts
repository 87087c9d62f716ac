// Summary rows of a comparison, one per arm x budget: the primary metric's mean over seeds with a
// 95% interval, accuracy and macro-F1 means, how concentrated the predictions are, agreement across
// seeds, mean costs; then every row is checked against the floor (assess.ts).

import { assess } from './assess.js';
import { agreement, bootstrapMeanInterval, percentile, seededRandom, spread } from './metrics.js';
import { cellMetric, chooseMetric, indexMetric, type MetricName } from './metric.js';
import { budgetKey, compareBudgets, type Cell, type CompareResults, type SummaryInterval, type SummaryRow } from './results.js';

const T975: Record<number, number> = {
  1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
  10: 2.228, 11: 2.201, 12: 2.179, 13: 2.16, 14: 2.145, 15: 2.131, 16: 2.12, 17: 2.11, 18: 2.101,
  19: 2.093, 20: 2.086, 25: 2.06, 30: 2.042,
};

function tCritical975(df: number): number {
  if (T975[df] !== undefined) return T975[df]!;
  if (df > 30) return 1.96;
  const keys = Object.keys(T975).map(Number).sort((a, b) => a - b);
  const k = keys.find((x) => x >= df) ?? 30;
  return T975[k]!;
}

export interface SummarizeOptions {
  /** The label set (needed for the macro-F1 and per-label intervals and the top-label share). */
  labels?: readonly string[];
  /** Primary metric (default accuracy). */
  metric?: MetricName | string;
  /** Gold test labels: with them, intervals are pooled bootstraps over test examples. */
  gold?: readonly string[];
  samples?: number;
  seed?: number;
}

function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

/**
 * Pooled percentile bootstrap of a metric over seeds: test examples are resampled (the same
 * resample for every seed), the metric is computed per seed and averaged.
 */
function pooledInterval(metric: string, labels: readonly string[], gold: readonly string[], preds: string[][], samples: number, seed: number): SummaryInterval {
  const index = new Map(labels.map((l, i) => [l, i]));
  const g = Int32Array.from(gold, (l) => index.get(l) ?? -1);
  const ps = preds.map((p) => Int32Array.from(p, (l) => index.get(l) ?? -1));
  const score = indexMetric(metric, labels);
  const n = gold.length;
  if (metric === 'accuracy') {
    // Accuracy is a mean of per-example correctness: resample the seed-averaged correctness.
    const perExample = gold.map((_, i) => mean(ps.map((p) => (p[i] === g[i] ? 1 : 0))));
    const iv = bootstrapMeanInterval(perExample, { samples, seed });
    return { lower: iv.lower, upper: iv.upper, level: 0.95, basis: 'pooled-bootstrap' };
  }
  const rand = seededRandom(seed);
  const at = new Int32Array(n);
  const values = new Array<number>(samples);
  for (let s = 0; s < samples; s++) {
    for (let i = 0; i < n; i++) at[i] = Math.floor(rand() * n);
    let sum = 0;
    for (const p of ps) sum += score(g, p, at);
    values[s] = sum / ps.length;
  }
  return { lower: percentile(values, 2.5), upper: percentile(values, 97.5), level: 0.95, basis: 'pooled-bootstrap' };
}

/** The label each cell predicts most (from its confusion matrix columns) and its share. */
function topLabel(cells: readonly Cell[], labels: readonly string[]): { label: string; share: number } {
  const votes = new Map<string, number>();
  const shares: number[] = [];
  for (const c of cells) {
    const cols = labels.map((_, j) => c.metrics.confusion.reduce((a, row) => a + (row[j] ?? 0), 0));
    const total = c.predictions.length || cols.reduce((a, b) => a + b, 0);
    let best = 0;
    cols.forEach((v, j) => { if (v > cols[best]!) best = j; });
    shares.push(total > 0 ? cols[best]! / total : 0);
    const l = labels[best] ?? '';
    votes.set(l, (votes.get(l) ?? 0) + 1);
  }
  const label = [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
  return { label, share: mean(shares) };
}

/**
 * Per arm × budget summary of the cells (failed cells skipped), ordered by arm (first appearance)
 * then budget. Flags are not set here: see assess().
 */
export function summarize(cells: readonly Cell[], options: SummarizeOptions = {}): SummaryRow[] {
  const metric = options.metric ?? 'accuracy';
  const groups = new Map<string, Cell[]>();
  const armOrder: string[] = [];
  for (const c of cells) {
    if (c.error) continue;
    if (!armOrder.includes(c.arm)) armOrder.push(c.arm);
    const key = `${c.arm}\u0000${budgetKey(c.budget)}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(c);
  }
  const rows: SummaryRow[] = [];
  for (const cs of groups.values()) {
    const first = cs[0]!;
    const labels = options.labels ?? Object.keys(first.metrics.perClassF1);
    const values = cs.map((c) => cellMetric(metric, c.metrics));
    const sp = spread(values);
    const gold = options.gold;
    const preds = cs.map((c) => c.predictions);
    const havePreds = preds.every((p) => p.length > 0) && preds.every((p) => p.length === preds[0]!.length);
    let ci: SummaryInterval;
    if (gold && gold.length > 0 && havePreds && preds[0]!.length === gold.length) {
      ci = pooledInterval(metric, labels, gold, preds, options.samples ?? 1000, options.seed ?? 0);
    } else if (cs.length > 1) {
      const half = (tCritical975(cs.length - 1) * sp.std) / Math.sqrt(cs.length);
      ci = { lower: Math.max(0, sp.mean - half), upper: Math.min(1, sp.mean + half), level: 0.95, basis: 'seeds' };
    } else {
      ci = { lower: sp.mean, upper: sp.mean, level: 0.95, basis: 'none' };
    }
    const top = topLabel(cs, labels);
    const row: SummaryRow = {
      arm: first.arm,
      budget: first.budget,
      seeds: cs.length,
      metric,
      mean: sp.mean,
      ci,
      std: sp.std,
      min: sp.min,
      max: sp.max,
      meanAccuracy: mean(cs.map((c) => c.metrics.accuracy)),
      meanMacroF1: mean(cs.map((c) => c.metrics.macroF1)),
      topLabel: top.label,
      topLabelShare: top.share,
      agreement: havePreds ? agreement(preds) : null,
      meanTrainSeconds: mean(cs.map((c) => c.train.wallSeconds)),
      meanTrainFlops: mean(cs.map((c) => c.train.flops)),
      p50Ms: mean(cs.map((c) => c.inference.p50Ms)),
      p95Ms: mean(cs.map((c) => c.inference.p95Ms)),
      tokensPerQuery: mean(cs.map((c) => c.inference.tokensPerQuery)),
      flopsPerQuery: mean(cs.map((c) => c.inference.flopsPerQuery)),
    };
    const perQuery = cs.map((c) => c.costPer1kQueriesUsd).filter((x): x is number => x !== undefined);
    if (perQuery.length === cs.length) row.costPer1kQueriesUsd = mean(perQuery);
    const oneOff = cs.map((c) => c.oneOffCostUsd).filter((x): x is number => x !== undefined);
    if (oneOff.length === cs.length) row.oneOffCostUsd = mean(oneOff);
    rows.push(row);
  }
  rows.sort((a, b) => {
    const m = armOrder.indexOf(a.arm) - armOrder.indexOf(b.arm);
    return m !== 0 ? m : compareBudgets(a.budget, b.budget);
  });
  return rows;
}

export type UnsummarizedResults = Omit<CompareResults, 'summary' | 'metric'> & { summary?: unknown; metric?: CompareResults['metric'] };

/**
 * Fills in the primary metric (when absent: chosen from the test labels), the summary (pooled
 * intervals when task.testGold is there) and the flags of rows that must not be recommended.
 */
export function withSummary(results: UnsummarizedResults, options: Pick<SummarizeOptions, 'samples' | 'seed'> = {}): CompareResults {
  const { summary: _old, ...rest } = results;
  const gold = results.task.testGold;
  const metric = results.metric ?? chooseMetric(gold ?? [], results.task.labels);
  const summary = summarize(results.cells, { ...options, labels: results.task.labels, metric: metric.name, ...(gold ? { gold } : {}) });
  const out: CompareResults = { ...rest, metric, summary };
  assess(out);
  return out;
}
