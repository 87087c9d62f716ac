// The context every rule reads: which rows are within the user's constraints, which of them may be
// recommended (not flagged degenerate or no better than the majority baseline), the best of each
// kind, and the crossover budget.
import { budgetPerClass, compareBudgets, type ArmKind, type CompareResults, type SummaryRow } from '../eval/results.js';
import type { AdviceContext, Constraints, Crossover, Reason, LearnedKind } from './types.js';

export const TFIDF_ARM = 'baseline:tfidf';

/** Highest mean primary metric; ties: fewer labelled examples, then faster. */
export function best(rows: readonly SummaryRow[]): SummaryRow | undefined {
  let b: SummaryRow | undefined;
  for (const r of rows) {
    if (!b) b = r;
    else if (r.mean > b.mean + 1e-12) b = r;
    else if (Math.abs(r.mean - b.mean) <= 1e-12) {
      const c = compareBudgets(r.budget, b.budget);
      if (c < 0 || (c === 0 && r.p50Ms < b.p50Ms)) b = r;
    }
  }
  return b;
}

/**
 * The kind an arm counts as in the advice: its own, except that a remotely fine-tuned model
 * ('ft-remote') is a fine-tuned arm like a local one (the same floor, the same side of the vote,
 * the same crossover); `armKindOf` keeps the difference for the wording.
 */
export function kindMap(evidence: CompareResults | undefined): (id: string) => ArmKind | undefined {
  const raw = armKindMap(evidence);
  return (id) => {
    const k = raw(id);
    return k === 'ft-remote' ? 'finetune' : k;
  };
}

/** The arm's own kind, as results.json names it. */
export function armKindMap(evidence: CompareResults | undefined): (id: string) => ArmKind | undefined {
  const m = new Map<string, ArmKind>();
  for (const x of evidence?.arms ?? []) m.set(x.id, x.kind);
  return (id) => m.get(id)
    ?? (id.startsWith('ft-remote:') ? 'ft-remote' : id.startsWith('ft:') ? 'finetune' : id.startsWith('icl:') ? 'icl' : id.startsWith('baseline:') ? 'baseline' : undefined);
}

/**
 * Smallest budget at which some fine-tuned arm's mean primary metric beats the best ICL mean (over
 * the given rows, all budgets; flagged rows do not count). Undefined if fine-tuning never does, or
 * either kind has no unflagged row.
 */
export function findCrossover(evidence: CompareResults, rows: readonly SummaryRow[] = evidence.summary): Crossover | undefined {
  const kindOf = kindMap(evidence);
  const ok = rows.filter((r) => !r.flag);
  const icl = best(ok.filter((r) => kindOf(r.arm) === 'icl'));
  if (!icl) return undefined;
  const ft = ok.filter((r) => kindOf(r.arm) === 'finetune').sort((a, b) => compareBudgets(a.budget, b.budget) || b.mean - a.mean);
  const hit = ft.find((r) => r.mean > icl.mean);
  if (!hit) return undefined;
  return { budget: hit.budget, arm: hit.arm, finetuneMean: hit.mean, iclBestMean: icl.mean, iclArm: icl.arm, iclBudget: icl.budget };
}

export function buildContext(evidence: CompareResults | undefined, constraints: Constraints): AdviceContext {
  const kindOf = kindMap(evidence);
  const armKindOf = armKindMap(evidence);
  const rows = evidence?.summary ?? [];
  const have = constraints.labelledExamples;
  const reachable = rows.filter((r) => have === undefined || budgetPerClass(r.budget, evidence?.task) <= have + 1e-9);
  const lat = constraints.latencyBudgetMs;
  const eligible = reachable.filter((r) => lat === undefined || r.p95Ms <= lat);
  const ctx: AdviceContext = { constraints, kindOf, armKindOf, reachable, eligible };
  if (evidence) ctx.evidence = evidence;
  const candidates = eligible.filter((r) => !r.flag);
  const bf = best(candidates.filter((r) => kindOf(r.arm) === 'finetune'));
  const bi = best(candidates.filter((r) => kindOf(r.arm) === 'icl'));
  const bt = best(candidates.filter((r) => r.arm === TFIDF_ARM));
  if (bf) ctx.bestFinetune = bf;
  if (bi) ctx.bestIcl = bi;
  if (bt) ctx.bestTfidf = bt;
  if (evidence) {
    const c = findCrossover(evidence);
    if (c) ctx.crossover = c;
  }
  return ctx;
}

/** The best learned row that may be recommended (either kind). */
export function bestLearned(ctx: AdviceContext): SummaryRow | undefined {
  return best([ctx.bestFinetune, ctx.bestIcl].filter((r): r is SummaryRow => r !== undefined));
}

export function reason(
  rule: string,
  favours: Reason['favours'],
  weight: number,
  text: string,
  figures: Record<string, number | string>,
  excludes?: LearnedKind,
): Reason {
  const r: Reason = { rule, text, figures, favours, weight };
  if (excludes) r.excludes = excludes;
  return r;
}
