// Advice: fine-tune or in-context learning? Explicit rules, kept in one table (RULES), each of
// which reads the measured evidence (a compare run's results) and/or the user's stated constraints
// and returns a reason that cites the figures it used. The decision is a weighted vote of the
// reasons, after hard exclusions (a method that cannot meet the latency budget, or needs more
// labelled data than the user has, is out).

import type { Budget, CompareResults, MethodKind, SummaryRow } from '../eval/results.js';
import { budgetPerClass, compareBudgets, formatBudget } from '../eval/results.js';

export interface Constraints {
  /** Labelled examples a class the user has (or can get); budgets above it are out of reach. */
  labelledExamples?: number;
  /** Per-query latency budget (compared with the measured p95). */
  latencyBudgetMs?: number;
  queriesPerDay?: number;
  /** How often the label set or definition changes (each change means a retrain for fine-tuning). */
  taskChangesPerMonth?: number;
  /** The same input must always get the same label. */
  needConsistentOutput?: boolean;
  mlExpertise?: 'none' | 'some' | 'expert';
}

export type Recommendation = 'finetune' | 'icl' | 'undecided';

export interface Reason {
  /** Id of the rule in RULES. */
  rule: string;
  text: string;
  figures: Record<string, number | string>;
  /** Which way this reason points. */
  favours: MethodKind | 'neither';
  /** Votes it carries (0 = informational). */
  weight: number;
  /** A hard exclusion of the kind it does not favour. */
  excludes?: MethodKind;
}

export interface Crossover {
  /** Smallest budget where a fine-tuned method's mean accuracy beats the best ICL mean. */
  budget: Budget;
  method: string;
  finetuneMean: number;
  iclBestMean: number;
  iclMethod: string;
  iclBudget: Budget;
}

export interface Advice {
  recommendation: Recommendation;
  /** The method to use (best measured of the recommended kind within the constraints). */
  method?: string;
  budget?: Budget;
  reasons: Reason[];
  crossover?: Crossover;
  /** Net vote: > 0 favours fine-tuning, < 0 ICL. */
  score: number;
}

// ---------------------------------------------------------------------------------------------
// Formatting helpers (every reason prints its numbers the same way).

export function fmtAcc(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : 'n/a';
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  return fmtSeconds(ms / 1000);
}

export function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return 'n/a';
  if (s < 90) return `${Math.round(s * 10) / 10} s`;
  if (s < 90 * 60) return `${Math.round(s / 6) / 10} min`;
  if (s < 48 * 3600) return `${Math.round(s / 360) / 10} h`;
  return `${Math.round(s / 8640) / 10} days`;
}

export function fmtCount(n: number): string {
  if (n >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return String(n);
}

function fmtRow(r: SummaryRow): string {
  return `${fmtAcc(r.meanAccuracy)} [${fmtAcc(r.ci.lower)}, ${fmtAcc(r.ci.upper)}]`;
}

// ---------------------------------------------------------------------------------------------
// Context shared by the rules.

export interface AdviceContext {
  evidence?: CompareResults;
  constraints: Constraints;
  kindOf: (methodId: string) => MethodKind | undefined;
  /** Summary rows within the labelled-data budget (latency not applied). */
  reachable: SummaryRow[];
  /** Reachable rows that also meet the latency budget. */
  eligible: SummaryRow[];
  bestFinetune?: SummaryRow;
  bestIcl?: SummaryRow;
  crossover?: Crossover;
}

function best(rows: SummaryRow[]): SummaryRow | undefined {
  let b: SummaryRow | undefined;
  for (const r of rows) {
    if (!b) b = r;
    else if (r.meanAccuracy > b.meanAccuracy + 1e-12) b = r;
    else if (Math.abs(r.meanAccuracy - b.meanAccuracy) <= 1e-12) {
      // Ties: fewer labelled examples, then faster.
      const c = compareBudgets(r.budget, b.budget);
      if (c < 0 || (c === 0 && r.p50Ms < b.p50Ms)) b = r;
    }
  }
  return b;
}

function kindMap(evidence: CompareResults | undefined): (id: string) => MethodKind | undefined {
  const m = new Map<string, MethodKind>();
  for (const x of evidence?.methods ?? []) m.set(x.id, x.kind);
  return (id) => m.get(id) ?? (id.startsWith('ft:') ? 'finetune' : id.startsWith('icl:') ? 'icl' : undefined);
}

/**
 * Smallest budget at which some fine-tuned method's mean accuracy beats the best ICL mean (over
 * the given rows, all budgets). Undefined if fine-tuning never does, or either kind is missing.
 */
export function findCrossover(evidence: CompareResults, rows: SummaryRow[] = evidence.summary): Crossover | undefined {
  const kindOf = kindMap(evidence);
  const icl = best(rows.filter((r) => kindOf(r.method) === 'icl'));
  if (!icl) return undefined;
  const ft = rows.filter((r) => kindOf(r.method) === 'finetune').sort((a, b) => compareBudgets(a.budget, b.budget) || b.meanAccuracy - a.meanAccuracy);
  const hit = ft.find((r) => r.meanAccuracy > icl.meanAccuracy);
  if (!hit) return undefined;
  return {
    budget: hit.budget,
    method: hit.method,
    finetuneMean: hit.meanAccuracy,
    iclBestMean: icl.meanAccuracy,
    iclMethod: icl.method,
    iclBudget: icl.budget,
  };
}

function buildContext(evidence: CompareResults | undefined, constraints: Constraints): AdviceContext {
  const kindOf = kindMap(evidence);
  const rows = evidence?.summary ?? [];
  const have = constraints.labelledExamples;
  const reachable = rows.filter((r) => have === undefined || budgetPerClass(r.budget, evidence?.task) <= have + 1e-9);
  const lat = constraints.latencyBudgetMs;
  const eligible = reachable.filter((r) => lat === undefined || r.p95Ms <= lat);
  const ctx: AdviceContext = { constraints, kindOf, reachable, eligible };
  if (evidence) ctx.evidence = evidence;
  const bf = best(eligible.filter((r) => kindOf(r.method) === 'finetune'));
  const bi = best(eligible.filter((r) => kindOf(r.method) === 'icl'));
  if (bf) ctx.bestFinetune = bf;
  if (bi) ctx.bestIcl = bi;
  if (evidence) {
    const c = findCrossover(evidence);
    if (c) ctx.crossover = c;
  }
  return ctx;
}

function reason(
  rule: string,
  favours: Reason['favours'],
  weight: number,
  text: string,
  figures: Record<string, number | string>,
  excludes?: MethodKind,
): Reason {
  const r: Reason = { rule, text, figures, favours, weight };
  if (excludes) r.excludes = excludes;
  return r;
}

function kindName(k: MethodKind): string {
  return k === 'finetune' ? 'fine-tuning' : 'in-context learning';
}

// ---------------------------------------------------------------------------------------------
// The rules.

export interface Rule {
  id: string;
  /** What the rule looks at and when it fires. */
  description: string;
  apply(ctx: AdviceContext): Reason[];
}

export const RULES: readonly Rule[] = [
  {
    id: 'no-evidence',
    description: 'Without a compare run, say so: only rules of thumb on the stated constraints apply.',
    apply(ctx) {
      if (ctx.evidence && ctx.evidence.summary.length > 0) return [];
      return [
        reason('no-evidence', 'neither', 0, 'no measurements on your data: run `tuneshot compare` to decide on evidence; what follows rests on your stated constraints only', {}),
      ];
    },
  },
  {
    id: 'labelled-data',
    description: 'Budgets above the labelled examples a class the user has are out of reach; a kind with no reachable budget is excluded.',
    apply(ctx) {
      const have = ctx.constraints.labelledExamples;
      if (have === undefined) return [];
      const out: Reason[] = [];
      if (!ctx.evidence) {
        if (have === 0) {
          out.push(reason('labelled-data', 'icl', 0, 'you have no labelled examples: only zero-shot in-context learning is possible', { labelledExamples: 0 }, 'finetune'));
        } else if (have >= 100) {
          out.push(reason('labelled-data', 'finetune', 1, `you have ${have} labelled examples a class: enough that fine-tuning a small model usually matches or beats prompting (rule of thumb, not measured)`, { labelledExamples: have }));
        }
        return out;
      }
      const rows = ctx.evidence.summary;
      for (const kind of ['finetune', 'icl'] as const) {
        const all = rows.filter((r) => ctx.kindOf(r.method) === kind);
        const reach = ctx.reachable.filter((r) => ctx.kindOf(r.method) === kind);
        if (all.length > 0 && reach.length === 0) {
          const smallest = all.map((r) => r.budget).sort(compareBudgets)[0]!;
          out.push(
            reason(
              'labelled-data',
              kind === 'finetune' ? 'icl' : 'finetune',
              0,
              `you have ${have} labelled examples a class; the smallest ${kindName(kind)} budget measured needs ${formatBudget(smallest)}`,
              { labelledExamples: have, smallestBudget: String(smallest) },
              kind,
            ),
          );
        }
      }
      const c = ctx.crossover;
      if (c && budgetPerClass(c.budget, ctx.evidence.task) > have) {
        out.push(
          reason(
            'labelled-data',
            'icl',
            1,
            `you have ${have} labelled examples a class, but fine-tuning first beats the best ICL only at ${formatBudget(c.budget)} (${fmtAcc(c.finetuneMean)} vs ${fmtAcc(c.iclBestMean)})`,
            { labelledExamples: have, crossoverBudget: String(c.budget), finetuneMean: c.finetuneMean, iclBestMean: c.iclBestMean },
          ),
        );
      }
      return out;
    },
  },
  {
    id: 'latency',
    description: 'A method whose measured p95 latency exceeds the latency budget is out; a kind with no method within it is excluded.',
    apply(ctx) {
      const lat = ctx.constraints.latencyBudgetMs;
      if (lat === undefined) return [];
      if (!ctx.evidence) {
        if (lat < 50) {
          return [reason('latency', 'finetune', 1, `a latency budget of ${fmtMs(lat)} a query is tight for prompting a language model on CPU; a small fine-tuned classifier usually meets it (rule of thumb, not measured)`, { latencyBudgetMs: lat })];
        }
        return [];
      }
      const out: Reason[] = [];
      for (const kind of ['finetune', 'icl'] as const) {
        const reach = ctx.reachable.filter((r) => ctx.kindOf(r.method) === kind);
        const ok = reach.filter((r) => r.p95Ms <= lat);
        if (reach.length > 0 && ok.length === 0) {
          const fastest = reach.reduce((a, b) => (b.p95Ms < a.p95Ms ? b : a));
          out.push(
            reason(
              'latency',
              kind === 'finetune' ? 'icl' : 'finetune',
              0,
              `no ${kindName(kind)} method meets the ${fmtMs(lat)} latency budget: the fastest, ${fastest.method} at ${formatBudget(fastest.budget)}, takes ${fmtMs(fastest.p95Ms)} at p95`,
              { latencyBudgetMs: lat, fastestMethod: fastest.method, fastestP95Ms: fastest.p95Ms },
              kind,
            ),
          );
        }
      }
      if (out.length === 0 && ctx.bestFinetune && ctx.bestIcl) {
        out.push(
          reason('latency', 'neither', 0, `both kinds meet the ${fmtMs(lat)} latency budget (p95 ${fmtMs(ctx.bestFinetune.p95Ms)} fine-tuned, ${fmtMs(ctx.bestIcl.p95Ms)} ICL)`, {
            latencyBudgetMs: lat,
            finetuneP95Ms: ctx.bestFinetune.p95Ms,
            iclP95Ms: ctx.bestIcl.p95Ms,
          }),
        );
      }
      return out;
    },
  },
  {
    id: 'accuracy',
    description: 'Compare the best fine-tuned and best ICL mean accuracy with their 95% intervals: non-overlapping intervals decide (3 votes); overlapping ones do not.',
    apply(ctx) {
      const f = ctx.bestFinetune;
      const i = ctx.bestIcl;
      if (!f || !i) return [];
      const figures = {
        finetuneMethod: f.method,
        finetuneBudget: String(f.budget),
        finetuneMean: f.meanAccuracy,
        finetuneLower: f.ci.lower,
        finetuneUpper: f.ci.upper,
        iclMethod: i.method,
        iclBudget: String(i.budget),
        iclMean: i.meanAccuracy,
        iclLower: i.ci.lower,
        iclUpper: i.ci.upper,
      };
      const head = `fine-tuned ${f.method} at ${formatBudget(f.budget)}: ${fmtRow(f)} vs ICL ${i.method} at ${formatBudget(i.budget)}: ${fmtRow(i)}`;
      if (f.ci.lower > i.ci.upper) return [reason('accuracy', 'finetune', 3, `${head}: intervals do not overlap, fine-tuning is more accurate`, figures)];
      if (i.ci.lower > f.ci.upper) return [reason('accuracy', 'icl', 3, `${head}: intervals do not overlap, ICL is more accurate`, figures)];
      return [reason('accuracy', 'neither', 0, `${head}: the intervals overlap, so the evidence does not decide on accuracy`, figures)];
    },
  },
  {
    id: 'crossover',
    description: 'Report the crossover budget: the smallest budget where fine-tuning beats the best ICL mean (informational).',
    apply(ctx) {
      if (!ctx.evidence) return [];
      const c = ctx.crossover;
      const hasBoth = ctx.evidence.methods.some((m) => m.kind === 'finetune') && ctx.evidence.methods.some((m) => m.kind === 'icl');
      if (!hasBoth) return [];
      if (!c) {
        const icl = best(ctx.evidence.summary.filter((r) => ctx.kindOf(r.method) === 'icl'));
        return [
          reason('crossover', 'neither', 0, `fine-tuning never beat the best ICL mean${icl ? ` (${fmtAcc(icl.meanAccuracy)}, ${icl.method} at ${formatBudget(icl.budget)})` : ''} at any measured budget`, icl ? { iclBestMean: icl.meanAccuracy } : {}),
        ];
      }
      return [
        reason(
          'crossover',
          'neither',
          0,
          `crossover at ${formatBudget(c.budget)}: ${c.method} reaches ${fmtAcc(c.finetuneMean)}, above the best ICL mean ${fmtAcc(c.iclBestMean)} (${c.iclMethod} at ${formatBudget(c.iclBudget)})`,
          { crossoverBudget: String(c.budget), method: c.method, finetuneMean: c.finetuneMean, iclBestMean: c.iclBestMean },
        ),
      ];
    },
  },
  {
    id: 'volume',
    description: 'At the stated query volume, compare daily inference compute (queries × p50 latency, and dollars where costed): ICL costing 3× more and over an hour a day favours fine-tuning (2 votes).',
    apply(ctx) {
      const q = ctx.constraints.queriesPerDay;
      const f = ctx.bestFinetune;
      const i = ctx.bestIcl;
      if (q === undefined || !f || !i) return [];
      const fDay = (q * f.p50Ms) / 1000;
      const iDay = (q * i.p50Ms) / 1000;
      const figures: Record<string, number | string> = { queriesPerDay: q, finetuneP50Ms: f.p50Ms, iclP50Ms: i.p50Ms, finetuneSecondsPerDay: fDay, iclSecondsPerDay: iDay };
      let text = `queries a day ${fmtCount(q)} × ${fmtMs(f.p50Ms)} (fine-tuned) vs ${fmtMs(i.p50Ms)} (ICL) a query: ${fmtSeconds(fDay)} vs ${fmtSeconds(iDay)} of compute a day`;
      if (f.costPer1kQueriesUsd !== undefined && i.costPer1kQueriesUsd !== undefined) {
        const fm = (f.costPer1kQueriesUsd * q * 30) / 1000;
        const im = (i.costPer1kQueriesUsd * q * 30) / 1000;
        figures.finetuneUsdPerMonth = fm;
        figures.iclUsdPerMonth = im;
        text += ` ($${fm.toFixed(2)} vs $${im.toFixed(2)} a month)`;
      }
      if (iDay > 3 * fDay && iDay >= 3600) return [reason('volume', 'finetune', 2, `${text}: at this volume the cheaper inference of the fine-tuned model matters`, figures)];
      if (fDay > 3 * iDay && fDay >= 3600) return [reason('volume', 'icl', 2, `${text}: at this volume the cheaper inference of ICL matters`, figures)];
      return [reason('volume', 'neither', 0, `${text}: inference cost does not decide at this volume`, figures)];
    },
  },
  {
    id: 'task-churn',
    description: 'A task that changes 4 or more times a month favours ICL (1 vote): each change means relabelling and a retrain for fine-tuning, only new instructions/demonstrations for ICL.',
    apply(ctx) {
      const n = ctx.constraints.taskChangesPerMonth;
      if (n === undefined) return [];
      const f = ctx.bestFinetune;
      const figures: Record<string, number | string> = { taskChangesPerMonth: n };
      let text = `the task changes ${n} time${n === 1 ? '' : 's'} a month`;
      if (f) {
        figures.retrainSeconds = f.meanTrainSeconds;
        figures.retrainSecondsPerMonth = n * f.meanTrainSeconds;
        text += `: each change costs a ${fmtSeconds(f.meanTrainSeconds)} retrain of ${f.method} (${fmtSeconds(n * f.meanTrainSeconds)} a month) plus relabelling ${formatBudget(f.budget)}`;
      } else {
        text += ': each change means relabelling and retraining a fine-tuned model';
      }
      if (n >= 4) return [reason('task-churn', 'icl', 1, `${text}; ICL only needs new instructions and demonstrations`, figures)];
      return [reason('task-churn', 'neither', 0, `${text}: rare enough not to decide`, figures)];
    },
  },
  {
    id: 'consistency',
    description: 'When consistent output is needed, favour the kind whose predictions agree more across seeds (1 vote, if they differ by 2 points or more).',
    apply(ctx) {
      if (!ctx.constraints.needConsistentOutput) return [];
      const f = ctx.bestFinetune;
      const i = ctx.bestIcl;
      if (!f || !i || f.agreement === null || i.agreement === null) {
        return [reason('consistency', 'neither', 0, 'consistent output needed: no agreement measurements to compare; run compare with several seeds', { needConsistentOutput: 'yes' })];
      }
      const figures = { finetuneAgreement: f.agreement, iclAgreement: i.agreement, finetuneSeeds: f.seeds, iclSeeds: i.seeds };
      const text = `consistent output needed: ${fmtAcc(f.agreement)} of test inputs get the same label across ${f.seeds} seeds fine-tuned vs ${fmtAcc(i.agreement)} across ${i.seeds} seeds with ICL`;
      if (f.agreement >= i.agreement + 0.02) return [reason('consistency', 'finetune', 1, text, figures)];
      if (i.agreement >= f.agreement + 0.02) return [reason('consistency', 'icl', 1, text, figures)];
      return [reason('consistency', 'neither', 0, `${text}: about the same`, figures)];
    },
  },
  {
    id: 'seed-variance',
    description: 'Warn when accuracy varies widely across seeds (std over 0.05) for a recommended candidate (informational).',
    apply(ctx) {
      const out: Reason[] = [];
      for (const r of [ctx.bestFinetune, ctx.bestIcl]) {
        if (r && r.seeds > 1 && r.stdAccuracy > 0.05) {
          out.push(
            reason('seed-variance', 'neither', 0, `${r.method} at ${formatBudget(r.budget)} varies across seeds: std ${fmtAcc(r.stdAccuracy)}, from ${fmtAcc(r.minAccuracy)} to ${fmtAcc(r.maxAccuracy)}; which examples you label matters`, {
              method: r.method,
              std: r.stdAccuracy,
              min: r.minAccuracy,
              max: r.maxAccuracy,
            }),
          );
        }
      }
      return out;
    },
  },
  {
    id: 'expertise',
    description: 'No ML expertise favours ICL (1 vote): no training pipeline to run and maintain.',
    apply(ctx) {
      const e = ctx.constraints.mlExpertise;
      if (e !== 'none') return [];
      return [reason('expertise', 'icl', 1, 'stated ML expertise: none; ICL needs no training pipeline to run, monitor and retrain', { mlExpertise: e })];
    },
  },
];

/**
 * Recommends fine-tuning or ICL from the evidence (a compare run; may be undefined) and the user's
 * constraints. Hard exclusions first (latency budget, labelled data); otherwise the weighted vote of
 * the reasons decides, and a tie (including "the accuracy intervals overlap and nothing else
 * counts") is 'undecided'.
 */
export function advise(evidence: CompareResults | undefined, constraints: Constraints = {}): Advice {
  const ctx = buildContext(evidence, constraints);
  const reasons: Reason[] = [];
  for (const rule of RULES) reasons.push(...rule.apply(ctx));
  const excluded = new Set(reasons.flatMap((r) => (r.excludes ? [r.excludes] : [])));
  let score = 0;
  for (const r of reasons) score += r.favours === 'finetune' ? r.weight : r.favours === 'icl' ? -r.weight : 0;
  let recommendation: Recommendation;
  if (excluded.has('finetune') && excluded.has('icl')) {
    recommendation = 'undecided';
    reasons.push(reason('decision', 'neither', 0, 'no measured method meets the constraints: relax the latency budget or label more data', {}));
  } else if (excluded.has('finetune')) recommendation = 'icl';
  else if (excluded.has('icl')) recommendation = 'finetune';
  else recommendation = score > 0 ? 'finetune' : score < 0 ? 'icl' : 'undecided';
  // A measured recommendation needs a measured candidate of that kind.
  if (evidence && evidence.summary.length > 0) {
    if (recommendation === 'finetune' && !ctx.bestFinetune && ctx.bestIcl) recommendation = 'undecided';
    if (recommendation === 'icl' && !ctx.bestIcl && ctx.bestFinetune) recommendation = 'undecided';
  }
  const advice: Advice = { recommendation, reasons, score };
  const chosen = recommendation === 'finetune' ? ctx.bestFinetune : recommendation === 'icl' ? ctx.bestIcl : undefined;
  if (chosen) {
    advice.method = chosen.method;
    advice.budget = chosen.budget;
  }
  if (ctx.crossover) advice.crossover = ctx.crossover;
  return advice;
}

export function recommendationText(a: Pick<Advice, 'recommendation' | 'method' | 'budget'>): string {
  const what = a.recommendation === 'finetune' ? 'fine-tune' : a.recommendation === 'icl' ? 'use in-context learning' : 'undecided';
  if (a.recommendation === 'undecided') return 'Undecided: the evidence and constraints do not settle it';
  return `Recommendation: ${what}${a.method ? ` (${a.method}${a.budget !== undefined ? ` at ${formatBudget(a.budget)}` : ''})` : ''}`;
}

/** Plain-text rendering: the recommendation, then one line per reason. */
export function formatAdvice(a: Advice): string {
  const lines = [recommendationText(a)];
  if (a.reasons.length > 0) {
    lines.push('Reasons:');
    for (const r of a.reasons) {
      const arrow = r.favours === 'neither' ? '' : ` (favours ${r.favours === 'finetune' ? 'fine-tuning' : 'ICL'}${r.excludes ? `; rules out ${kindName(r.excludes)}` : ''})`;
      lines.push(`  - [${r.rule}] ${r.text}${arrow}`);
    }
  }
  return lines.join('\n') + '\n';
}
