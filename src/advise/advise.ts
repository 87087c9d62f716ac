// Advice: fine-tune, prompt, or is a classical model enough? Explicit rules, kept in one table
// (RULES), each of which reads the measured evidence (a compare run's results) and/or the user's
// stated constraints and returns a reason that cites the figures it used. Results flagged as
// degenerate or no better than the majority baseline are never recommended. When the TF-IDF
// baseline reaches the best learned arm, it is recommended; otherwise the decision is a weighted
// vote of the reasons, after hard exclusions (a kind that cannot meet the latency budget, needs more
// labelled data than the user has, or never rose above the floor, is out).

import { formatBudget, type CompareResults } from '../eval/results.js';
import { buildContext, reason } from './context.js';
import { FLOOR_RULES } from './floor-rules.js';
import { CONSTRAINT_RULES } from './rules.js';
import { DISTILL_RULE } from './distill-rule.js';
import type { Advice, Constraints, Reason, Recommendation, Rule } from './types.js';

export type { Advice, AdviceContext, Constraints, Crossover, LearnedKind, Reason, Recommendation, Rule } from './types.js';
export { findCrossover } from './context.js';
export { fmtAcc, fmtCount, fmtMs, fmtSeconds } from './format.js';

const rule = (id: string, rules: readonly Rule[]) => rules.find((r) => r.id === id)!;

/** Every rule, in the order its reasons are listed. */
export const RULES: readonly Rule[] = [
  rule('no-evidence', CONSTRAINT_RULES),
  rule('metric', FLOOR_RULES),
  rule('degenerate', FLOOR_RULES),
  ...CONSTRAINT_RULES.filter((r) => ['labelled-data', 'latency', 'quality', 'crossover'].includes(r.id)),
  rule('floor', FLOOR_RULES),
  ...CONSTRAINT_RULES.filter((r) => ['volume', 'task-churn', 'consistency', 'seed-variance', 'expertise'].includes(r.id)),
  DISTILL_RULE,
];

/**
 * Recommends fine-tuning, ICL or the classical baseline from the evidence (a compare run; may be
 * undefined) and the user's constraints. The baseline when it is as good as the best learned arm;
 * else hard exclusions, then the weighted vote; a tie (including "the intervals overlap and nothing
 * else counts") is 'undecided'.
 */
export function advise(evidence: CompareResults | undefined, constraints: Constraints = {}): Advice {
  const ctx = buildContext(evidence, constraints);
  const reasons: Reason[] = RULES.flatMap((r) => r.apply(ctx));
  const excluded = new Set(reasons.flatMap((r) => (r.excludes ? [r.excludes] : [])));
  let score = 0;
  for (const r of reasons) score += r.favours === 'finetune' ? r.weight : r.favours === 'icl' ? -r.weight : 0;
  let recommendation: Recommendation;
  // The distilled student: a measured winner the rule found (after the classical baseline, which is cheaper still).
  const distilled = reasons.find((r) => r.favours === 'distilled' && r.weight > 0);
  if (ctx.bestTfidf && reasons.some((r) => r.favours === 'baseline')) recommendation = 'baseline';
  else if (distilled && !excluded.has('finetune')) recommendation = 'distilled';
  else if (excluded.has('finetune') && excluded.has('icl')) {
    recommendation = 'undecided';
    reasons.push(reason('decision', 'neither', 0, 'no fine-tuned or ICL arm is both within your constraints and above the floor: relax the latency budget, label more data, or try a bigger model', {}));
  } else if (excluded.has('finetune')) recommendation = 'icl';
  else if (excluded.has('icl')) recommendation = 'finetune';
  else recommendation = score > 0 ? 'finetune' : score < 0 ? 'icl' : 'undecided';
  // A measured recommendation needs a measured candidate of that kind (above the floor, within the constraints).
  if (evidence && evidence.summary.length > 0) {
    if (recommendation === 'finetune' && !ctx.bestFinetune) recommendation = 'undecided';
    if (recommendation === 'icl' && !ctx.bestIcl) recommendation = 'undecided';
  }
  const advice: Advice = { recommendation, reasons, score, ...(evidence ? { metric: evidence.metric } : {}) };
  const chosen = recommendation === 'finetune' ? ctx.bestFinetune : recommendation === 'icl' ? ctx.bestIcl : recommendation === 'baseline' ? ctx.bestTfidf : undefined;
  if (recommendation === 'distilled' && distilled) {
    advice.arm = String(distilled.figures.arm);
    const b = evidence?.summary.find((r) => r.arm === advice.arm && String(r.budget) === distilled.figures.budget)?.budget;
    if (b !== undefined) advice.budget = b;
  }
  if (chosen) {
    advice.arm = chosen.arm;
    advice.budget = chosen.budget;
  }
  const armKind = advice.arm !== undefined ? ctx.armKindOf(advice.arm) : undefined;
  if (armKind) advice.armKind = armKind;
  if (ctx.crossover) advice.crossover = ctx.crossover;
  return advice;
}

export function recommendationText(a: Pick<Advice, 'recommendation' | 'arm' | 'budget' | 'armKind'>): string {
  if (a.recommendation === 'undecided') return 'Undecided: the evidence and constraints do not settle it';
  const remote = a.armKind === 'ft-remote' || (a.armKind === undefined && a.arm?.startsWith('ft-remote:'));
  const what = a.recommendation === 'finetune' ? (remote ? 'fine-tune remotely' : 'fine-tune') : a.recommendation === 'icl' ? 'use in-context learning' : a.recommendation === 'distilled' ? 'distil the ICL teacher into a fine-tuned model' : 'a classical model is enough';
  return `Recommendation: ${what}${a.arm ? ` (${a.arm}${a.budget !== undefined ? ` at ${formatBudget(a.budget)}` : ''})` : ''}`;
}

/** "favours fine-tuning; rules out ICL", or '' for an informational reason. */
export function favoursText(r: Pick<Reason, 'favours' | 'excludes'>): string {
  const parts: string[] = [];
  if (r.favours !== 'neither') parts.push(`favours ${r.favours === 'finetune' ? 'fine-tuning' : r.favours === 'icl' ? 'ICL' : r.favours === 'distilled' ? 'distillation' : 'the classical baseline'}`);
  if (r.excludes) parts.push(`rules out ${r.excludes === 'finetune' ? 'fine-tuning' : 'ICL'}`);
  return parts.join('; ');
}

/** Plain-text rendering: the recommendation, then one line per reason. */
export function formatAdvice(a: Advice): string {
  const lines = [recommendationText(a)];
  if (a.reasons.length > 0) {
    lines.push('Reasons:');
    for (const r of a.reasons) {
      const f = favoursText(r);
      lines.push(`  - [${r.rule}] ${r.text}${f ? ` (${f})` : ''}`);
    }
  }
  return lines.join('\n') + '\n';
}
