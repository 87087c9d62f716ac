// The distillation rule: when the distilled student (an ICL teacher's labels, a fine-tuned model
// serving them) is at least as good as fine-tuning on the gold labels alone, close to its teacher and
// cheaper a query than serving the teacher, recommend it with the break-even number of queries
// (labelling cost ÷ per-query saving) and the accuracy gap to the teacher. Silent otherwise.
import { metricTitle } from '../eval/metric.js';
import { formatBudget, type SummaryRow } from '../eval/results.js';
import { best, reason } from './context.js';
import { fmtAcc, fmtCount } from './format.js';
import type { Rule } from './types.js';

/** How far below its teacher a student may be and still be recommended. */
export const MAX_TEACHER_GAP = 0.03;

export const DISTILL_RULE: Rule = {
  id: 'distillation',
  description: `Recommend distillation (2 votes) when the best distilled arm is above the floor, not below the best fine-tuned arm, within ${MAX_TEACHER_GAP} of its ICL teacher and cheaper a query: with the break-even number of queries (teacher labelling cost ÷ per-query saving against serving the teacher) and the gap to the teacher. Silent otherwise.`,
  apply(ctx) {
    const ok = ctx.eligible.filter((r) => !r.flag);
    const d = best(ok.filter((r) => ctx.kindOf(r.arm) === 'distilled'));
    if (!d) return [];
    // The teacher is served as ICL with the same demonstrations: the ICL row at the student's budget.
    const teacher: SummaryRow | undefined = best(ok.filter((r) => ctx.kindOf(r.arm) === 'icl' && String(r.budget) === String(d.budget))) ?? ctx.bestIcl;
    if (!teacher) return [];
    const f = ctx.bestFinetune;
    if (f && d.mean < f.mean) return [];
    const gap = teacher.mean - d.mean;
    if (gap > MAX_TEACHER_GAP) return [];
    if (d.costPer1kQueriesUsd === undefined || teacher.costPer1kQueriesUsd === undefined || d.oneOffCostUsd === undefined) return [];
    const savingPerQuery = (teacher.costPer1kQueriesUsd - d.costPer1kQueriesUsd) / 1000;
    if (!(savingPerQuery > 0)) return [];
    const breakEven = Math.ceil(d.oneOffCostUsd / savingPerQuery);
    const figures: Record<string, number | string> = {
      arm: d.arm, budget: String(d.budget), teacherArm: teacher.arm, distilledMean: d.mean, teacherMean: teacher.mean, teacherGap: gap,
      labellingCostUsd: d.oneOffCostUsd, savingPer1kQueriesUsd: savingPerQuery * 1000, breakEvenQueries: breakEven,
    };
    const m = metricTitle(d.metric);
    let text = `distilling the ICL teacher into ${d.arm} at ${formatBudget(d.budget)}: ${m} ${fmtAcc(d.mean)} vs the teacher's ${fmtAcc(teacher.mean)} (gap ${fmtAcc(gap)})`
      + `${f ? `, fine-tuning on the gold labels alone ${fmtAcc(f.mean)}` : ''}; labelling cost $${d.oneOffCostUsd.toFixed(2)} once, saving $${(savingPerQuery * 1000).toFixed(4)} per 1k queries: it pays for itself after ${fmtCount(breakEven)} queries`;
    const q = ctx.constraints.queriesPerDay;
    if (q !== undefined && q > 0) {
      figures.breakEvenDays = breakEven / q;
      text += ` (${(breakEven / q).toFixed(1)} days at ${fmtCount(q)} a day)`;
    }
    return [reason('distillation', 'distilled', 2, text, figures)];
  },
};
