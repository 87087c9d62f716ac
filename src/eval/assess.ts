// The floor under every recommendation. A row (an arm at a budget) is flagged, and then never
// recommended, when it is
//   - degenerate: it predicts one label for 95% or more of the test inputs although the gold labels
//     are not like that (that label holds under 95% of them), or
//   - no better than the majority baseline: the lower end of its primary metric's 95% interval does
//     not rise above the majority baseline's mean at the same budget.
// The majority baseline itself is the reference and is never flagged.

import { labelShares, metricTitle } from './metric.js';
import { budgetKey, compareBudgets, type CompareResults, type SummaryRow } from './results.js';

export const MAJORITY_ARM = 'baseline:majority';
/** Share of test inputs given one label from which a predictor is degenerate. */
export const DEGENERATE_SHARE = 0.95;

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');

/** Gold label shares: from task.testGold, else from the confusion matrix rows of a cell. */
function goldShares(results: CompareResults): Record<string, number> | undefined {
  const { labels, testGold } = results.task;
  if (testGold && testGold.length > 0) return labelShares(testGold, labels).shares;
  const cell = results.cells.find((c) => !c.error && c.metrics.confusion.length === labels.length);
  if (!cell) return undefined;
  const rows = cell.metrics.confusion.map((r) => r.reduce((a, b) => a + b, 0));
  const n = rows.reduce((a, b) => a + b, 0);
  return n > 0 ? Object.fromEntries(labels.map((l, i) => [l, rows[i]! / n])) : undefined;
}

/** The majority baseline's row at this budget, else at its smallest measured budget (it does not depend on the budget but through ties). */
export function majorityRow(results: Pick<CompareResults, 'summary'>, budget: SummaryRow['budget']): SummaryRow | undefined {
  const rows = results.summary.filter((r) => r.arm === MAJORITY_ARM);
  return rows.find((r) => budgetKey(r.budget) === budgetKey(budget)) ?? [...rows].sort((a, b) => compareBudgets(a.budget, b.budget))[0];
}

/** Sets `flag` on every summary row that must not be recommended (and clears it on the others). */
export function assess(results: CompareResults): void {
  const shares = goldShares(results);
  for (const row of results.summary) {
    delete row.flag;
    if (row.arm === MAJORITY_ARM) continue;
    const goldShare = shares?.[row.topLabel];
    if (row.topLabelShare >= DEGENERATE_SHARE && goldShare !== undefined && goldShare < DEGENERATE_SHARE) {
      row.flag = { kind: 'degenerate', text: `predicts "${row.topLabel}" for ${pct(row.topLabelShare)} of test inputs (gold: ${pct(goldShare)})` };
      continue;
    }
    const floor = majorityRow(results, row.budget);
    if (floor && row.ci.lower <= floor.mean + 1e-12) {
      row.flag = {
        kind: 'not-above-majority',
        text: `${metricTitle(row.metric)} ${f2(row.mean)} [${f2(row.ci.lower)}, ${f2(row.ci.upper)}] does not beat the majority baseline's ${f2(floor.mean)}`,
      };
    }
  }
}

/** Short mark for tables. */
export function flagMark(row: Pick<SummaryRow, 'flag'>): string {
  return row.flag ? (row.flag.kind === 'degenerate' ? 'degenerate' : 'no better than majority') : '';
}
