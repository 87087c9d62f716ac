// The rules that weigh fine-tuning against in-context learning on the evidence and the user's
// constraints. Each reads the context and returns reasons that cite the figures they used. The
// rules about the floor (metric, degenerate arms, the classical baseline) are in floor-rules.ts.
import { metricTitle } from '../eval/metric.js';
import { budgetPerClass, compareBudgets, formatBudget } from '../eval/results.js';
import { best, reason } from './context.js';
import { fmtAcc, fmtCount, fmtMs, fmtRow, fmtSeconds, kindName } from './format.js';
import type { Reason, Rule } from './types.js';

export const CONSTRAINT_RULES: readonly Rule[] = [
  {
    id: 'no-evidence',
    description: 'Without a compare run, say so: only rules of thumb on the stated constraints apply.',
    apply(ctx) {
      if (ctx.evidence && ctx.evidence.summary.length > 0) return [];
      return [reason('no-evidence', 'neither', 0, 'no measurements on your data: run `tuneshot compare` to decide on evidence; what follows rests on your stated constraints only', {})];
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
        const all = rows.filter((r) => ctx.kindOf(r.arm) === kind);
        const reach = ctx.reachable.filter((r) => ctx.kindOf(r.arm) === kind);
        if (all.length > 0 && reach.length === 0) {
          const smallest = all.map((r) => r.budget).sort(compareBudgets)[0]!;
          out.push(reason('labelled-data', kind === 'finetune' ? 'icl' : 'finetune', 0,
            `you have ${have} labelled examples a class; the smallest ${kindName(kind)} budget measured needs ${formatBudget(smallest)}`,
            { labelledExamples: have, smallestBudget: String(smallest) }, kind));
        }
      }
      const c = ctx.crossover;
      if (c && budgetPerClass(c.budget, ctx.evidence.task) > have) {
        out.push(reason('labelled-data', 'icl', 1,
          `you have ${have} labelled examples a class, but fine-tuning first beats the best ICL only at ${formatBudget(c.budget)} (${metricTitle(ctx.evidence.metric.name)} ${fmtAcc(c.finetuneMean)} vs ${fmtAcc(c.iclBestMean)})`,
          { labelledExamples: have, crossoverBudget: String(c.budget), finetuneMean: c.finetuneMean, iclBestMean: c.iclBestMean }));
      }
      return out;
    },
  },
  {
    id: 'latency',
    description: 'An arm whose measured p95 latency exceeds the latency budget is out; a kind with no arm within it is excluded.',
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
        const reach = ctx.reachable.filter((r) => ctx.kindOf(r.arm) === kind);
        const ok = reach.filter((r) => r.p95Ms <= lat);
        if (reach.length > 0 && ok.length === 0) {
          const fastest = reach.reduce((a, b) => (b.p95Ms < a.p95Ms ? b : a));
          out.push(reason('latency', kind === 'finetune' ? 'icl' : 'finetune', 0,
            `no ${kindName(kind)} arm meets the ${fmtMs(lat)} latency budget: the fastest, ${fastest.arm} at ${formatBudget(fastest.budget)}, takes ${fmtMs(fastest.p95Ms)} at p95`,
            { latencyBudgetMs: lat, fastestArm: fastest.arm, fastestP95Ms: fastest.p95Ms }, kind));
        }
      }
      if (out.length === 0 && ctx.bestFinetune && ctx.bestIcl) {
        out.push(reason('latency', 'neither', 0, `both kinds meet the ${fmtMs(lat)} latency budget (p95 ${fmtMs(ctx.bestFinetune.p95Ms)} fine-tuned, ${fmtMs(ctx.bestIcl.p95Ms)} ICL)`, {
          latencyBudgetMs: lat, finetuneP95Ms: ctx.bestFinetune.p95Ms, iclP95Ms: ctx.bestIcl.p95Ms,
        }));
      }
      return out;
    },
  },
  {
    id: 'quality',
    description: 'Compare the best fine-tuned and best ICL arm on the primary metric with their 95% intervals (flagged rows excluded): non-overlapping intervals decide (3 votes); overlapping ones do not.',
    apply(ctx) {
      const f = ctx.bestFinetune;
      const i = ctx.bestIcl;
      if (!f || !i) return [];
      const figures = {
        metric: f.metric,
        finetuneArm: f.arm, finetuneBudget: String(f.budget), finetuneMean: f.mean, finetuneLower: f.ci.lower, finetuneUpper: f.ci.upper,
        iclArm: i.arm, iclBudget: String(i.budget), iclMean: i.mean, iclLower: i.ci.lower, iclUpper: i.ci.upper,
      };
      const m = metricTitle(f.metric);
      const head = `${m}: fine-tuned ${f.arm} at ${formatBudget(f.budget)}: ${fmtRow(f)} vs ICL ${i.arm} at ${formatBudget(i.budget)}: ${fmtRow(i)}`;
      if (f.ci.lower > i.ci.upper) return [reason('quality', 'finetune', 3, `${head}: intervals do not overlap, fine-tuning is better`, figures)];
      if (i.ci.lower > f.ci.upper) return [reason('quality', 'icl', 3, `${head}: intervals do not overlap, ICL is better`, figures)];
      return [reason('quality', 'neither', 0, `${head}: the intervals overlap, so the evidence does not decide on ${m}`, figures)];
    },
  },
  {
    id: 'crossover',
    description: 'Report the crossover budget: the smallest budget where fine-tuning beats the best ICL mean (informational).',
    apply(ctx) {
      if (!ctx.evidence) return [];
      const c = ctx.crossover;
      const m = metricTitle(ctx.evidence.metric.name);
      const hasBoth = ctx.evidence.arms.some((a) => ctx.kindOf(a.id) === 'finetune') && ctx.evidence.arms.some((a) => a.kind === 'icl');
      if (!hasBoth) return [];
      if (!c) {
        const icl = best(ctx.evidence.summary.filter((r) => ctx.kindOf(r.arm) === 'icl' && !r.flag));
        if (!icl) return [reason('crossover', 'neither', 0, 'no crossover to report: no ICL result rose above the floor', {})];
        return [reason('crossover', 'neither', 0, `fine-tuning never beat the best ICL mean (${m} ${fmtAcc(icl.mean)}, ${icl.arm} at ${formatBudget(icl.budget)}) at any measured budget`, { iclBestMean: icl.mean })];
      }
      return [reason('crossover', 'neither', 0,
        `crossover at ${formatBudget(c.budget)}: ${c.arm} reaches ${m} ${fmtAcc(c.finetuneMean)}, above the best ICL mean ${fmtAcc(c.iclBestMean)} (${c.iclArm} at ${formatBudget(c.iclBudget)})`,
        { crossoverBudget: String(c.budget), arm: c.arm, finetuneMean: c.finetuneMean, iclBestMean: c.iclBestMean })];
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
      // A model trained for money (remotely) pays its training back only through a cheaper query.
      if (f.oneOffCostUsd !== undefined && f.costPer1kQueriesUsd !== undefined && i.costPer1kQueriesUsd !== undefined) {
        const saving = (i.costPer1kQueriesUsd - f.costPer1kQueriesUsd) / 1000;
        figures.finetuneOneOffUsd = f.oneOffCostUsd;
        if (saving > 0) {
          const breakEven = Math.ceil(f.oneOffCostUsd / saving);
          figures.breakEvenQueries = breakEven;
          figures.breakEvenDays = breakEven / Math.max(q, 1e-12);
          text += `; its one-off training cost $${f.oneOffCostUsd.toFixed(2)} is paid back by the cheaper query after ${fmtCount(breakEven)} queries${q > 0 ? ` (${(breakEven / q).toFixed(1)} days)` : ''}`;
        } else {
          text += `; its one-off training cost $${f.oneOffCostUsd.toFixed(2)} is never paid back: a query costs no less than with ICL`;
        }
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
        text += `: each change costs a ${fmtSeconds(f.meanTrainSeconds)} retrain of ${f.arm} (${fmtSeconds(n * f.meanTrainSeconds)} a month) plus relabelling ${formatBudget(f.budget)}`;
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
    description: 'Warn when the primary metric varies widely across seeds (std over 0.05) for a recommended candidate (informational).',
    apply(ctx) {
      const out: Reason[] = [];
      for (const r of [ctx.bestFinetune, ctx.bestIcl]) {
        if (r && r.seeds > 1 && r.std > 0.05) {
          out.push(reason('seed-variance', 'neither', 0,
            `${r.arm} at ${formatBudget(r.budget)} varies across seeds: ${metricTitle(r.metric)} std ${fmtAcc(r.std)}, from ${fmtAcc(r.min)} to ${fmtAcc(r.max)}; which examples you label matters`,
            { arm: r.arm, std: r.std, min: r.min, max: r.max }));
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
