// The rules about the floor under every recommendation: which metric ranks the arms (and why),
// which results are degenerate or no better than always answering the majority label (never
// recommended; say why, with the numbers, and what to try), and whether the cheap classical
// baseline is enough.
import { metricTitle } from '../eval/metric.js';
import { compareBudgets, formatBudget, armLabel, type ArmKind, type SummaryRow } from '../eval/results.js';
import { bestLearned, reason, TFIDF_ARM } from './context.js';
import { fmtAcc, fmtMs, fmtRow, fmtScore, fmtSeconds, kindName } from './format.js';
import type { AdviceContext, Reason, Rule } from './types.js';

/** Latency, training time and price of a row, for setting a cheap model beside an expensive one. */
function costOf(r: SummaryRow): string {
  return `p50 ${fmtMs(r.p50Ms)} a query, trains in ${fmtSeconds(r.meanTrainSeconds)}${r.costPer1kQueriesUsd !== undefined ? `, $${r.costPer1kQueriesUsd.toFixed(4)} per 1k queries` : ''}`
    + `${r.oneOffCostUsd !== undefined ? `, $${r.oneOffCostUsd.toFixed(2)} once` : ''}`;
}

function whatToTry(ctx: AdviceContext, kind: ArmKind, rows: SummaryRow[], allFlagged: boolean): string {
  const tips: string[] = [];
  if (kind === 'icl') tips.push('try a bigger language model for ICL (--icl llamacpp:<model.gguf> or openai:<model>)');
  else if (kind === 'distilled') tips.push('a better teacher (--icl) or a larger --distill-size');
  else if (kind === 'ft-remote' && allFlagged) {
    const largest = [...rows].sort((a, b) => compareBudgets(b.budget, a.budget))[0]!;
    tips.push(`label more data for remote fine-tuning (the largest budget measured was ${formatBudget(largest.budget)}), give it more epochs (--remote-epochs) or a bigger base model`);
  } else if (allFlagged) {
    const largest = [...rows].sort((a, b) => compareBudgets(b.budget, a.budget))[0]!;
    tips.push(`label more data for ${kind === 'finetune' ? 'fine-tuning' : 'it'} (the largest budget measured was ${formatBudget(largest.budget)})`);
  } else {
    const ok = rows.filter((r) => !r.flag).sort((a, b) => compareBudgets(a.budget, b.budget));
    if (ok.length) tips.push(`it is above the floor at ${ok.map((r) => formatBudget(r.budget)).join(', ')}`);
  }
  const t = ctx.bestTfidf;
  if (t && kind !== 'baseline' && !rows.some((r) => !r.flag && r.mean >= t.mean)) tips.push(`the TF-IDF baseline reaches ${fmtScore(t)} at ${formatBudget(t.budget)}`);
  return tips.join('; ');
}

export const FLOOR_RULES: readonly Rule[] = [
  {
    id: 'metric',
    description: 'Say which metric ranks the arms and why: accuracy on roughly balanced test labels, macro-F1 when one label holds more than 60% of them, or the one asked for (informational).',
    apply(ctx) {
      const m = ctx.evidence?.metric;
      if (!m || ctx.evidence!.summary.length === 0) return [];
      return [reason('metric', 'neither', 0, `ranked by ${metricTitle(m.name)}: ${m.reason}`, { metric: m.name })];
    },
  },
  {
    id: 'degenerate',
    description: 'Results that predict one label for 95% or more of the test inputs (where the gold labels are not like that) or do not beat the majority baseline by their own interval are never recommended; say why with the numbers and what to try. A learned kind with no other result is excluded.',
    apply(ctx) {
      const ev = ctx.evidence;
      if (!ev) return [];
      const out: Reason[] = [];
      for (const a of ev.arms) {
        if (a.kind === 'baseline' && a.id !== TFIDF_ARM) continue;
        const rows = ev.summary.filter((r) => r.arm === a.id);
        const flagged = rows.filter((r) => r.flag);
        if (flagged.length === 0) continue;
        const all = flagged.length === rows.length;
        // Cite the best attempt: the flagged row with the highest mean.
        const shown = flagged.reduce((x, y) => (y.mean > x.mean ? y : x));
        const where = all ? (rows.length > 1 ? 'at every measured budget' : `at ${formatBudget(shown.budget)}`) : `at ${flagged.map((r) => formatBudget(r.budget)).join(', ')}`;
        const what = shown.flag!.kind === 'degenerate' ? 'degenerate' : 'no better than the majority baseline';
        const best = all && rows.length > 1 ? ` (best: ${formatBudget(shown.budget)})` : '';
        const tip = whatToTry(ctx, a.kind, rows, all);
        const name = armLabel(ev, a.id) === a.id ? a.id : `${armLabel(ev, a.id)} (${a.id})`;
        out.push(reason('degenerate', 'neither', 0, `${name} is ${what} ${where}${best}: ${shown.flag!.text}${tip ? `; ${tip}` : ''}`, {
          arm: a.id, flaggedBudgets: flagged.map((r) => String(r.budget)).join(','), flag: shown.flag!.kind, mean: shown.mean, lower: shown.ci.lower, upper: shown.ci.upper,
          topLabel: shown.topLabel, topLabelShare: shown.topLabelShare,
        }));
      }
      for (const kind of ['finetune', 'icl'] as const) {
        const rows = ev.summary.filter((r) => ctx.kindOf(r.arm) === kind);
        if (rows.length > 0 && rows.every((r) => r.flag)) {
          out.push(reason('degenerate', 'neither', 0, `no ${kindName(kind)} result rose above the floor, so ${kindName(kind)} is not recommended`, { kind }, kind));
        }
      }
      return out;
    },
  },
  {
    id: 'floor',
    description: 'When the TF-IDF baseline reaches the 95% interval of the best learned arm (or no learned arm rose above the floor but it did), a cheap classical model is enough: it is recommended, its cost and latency beside the others.',
    apply(ctx) {
      const t = ctx.bestTfidf;
      if (!ctx.evidence || !t) return [];
      const l = bestLearned(ctx);
      const figures: Record<string, number | string> = {
        tfidfBudget: String(t.budget), tfidfMean: t.mean, tfidfLower: t.ci.lower, tfidfUpper: t.ci.upper, tfidfP50Ms: t.p50Ms, tfidfTrainSeconds: t.meanTrainSeconds,
      };
      const tf = `the TF-IDF baseline at ${formatBudget(t.budget)} reaches ${fmtScore(t)} (${costOf(t)})`;
      if (!l) return [reason('floor', 'baseline', 0, `no fine-tuned or ICL result rose above the floor, but ${tf}: use it, or try what the reasons above suggest`, figures)];
      Object.assign(figures, { learnedArm: l.arm, learnedBudget: String(l.budget), learnedMean: l.mean, learnedLower: l.ci.lower, learnedUpper: l.ci.upper, learnedP50Ms: l.p50Ms, learnedTrainSeconds: l.meanTrainSeconds });
      const learned = `${l.arm} at ${formatBudget(l.budget)}: ${fmtRow(l)} (${costOf(l)})`;
      if (t.mean >= l.ci.lower) {
        return [reason('floor', 'baseline', 0, `a cheap classical model is enough: ${tf}, ${t.mean > l.mean ? 'above' : 'within the 95% interval of'} the best learned arm, ${learned}`, figures)];
      }
      return [reason('floor', 'neither', 0, `${tf}, below the 95% interval of the best learned arm, ${learned}: the learned model earns its cost (by ${fmtAcc(l.mean - t.mean)} ${metricTitle(l.metric)})`, figures)];
    },
  },
];
