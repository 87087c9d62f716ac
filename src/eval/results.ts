// The contract between `tuneshot compare` (which fills it) and advise/report (which read it):
// the results of running fine-tuning and in-context learning at several labelled-data budgets and
// seeds, scored on one test set. Schemas are zod so that results.json read back is validated;
// the TypeScript types are inferred from them.

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { agreement, bootstrapMeanInterval, spread } from './metrics.js';

export const RESULTS_VERSION = 1;

/** Examples per class; 'all' = the whole training set. 0 = zero-shot (ICL only). */
export const BudgetSchema = z.union([z.number().int().nonnegative(), z.literal('all')]);
export type Budget = z.infer<typeof BudgetSchema>;

export const TaskInfoSchema = z.object({
  labels: z.array(z.string()).min(1),
  trainSize: z.number().int().nonnegative(),
  testSize: z.number().int().nonnegative(),
  trainDataset: z.string(),
  testDataset: z.string(),
  /** Gold labels of the test set, in the order of every cell's `predictions`. Enables pooled bootstrap intervals. */
  testGold: z.array(z.string()).optional(),
  /** Free text, e.g. "sentiment of product reviews". */
  description: z.string().optional(),
});
export type TaskInfo = z.infer<typeof TaskInfoSchema>;

export const MethodKindSchema = z.enum(['finetune', 'icl']);
export type MethodKind = z.infer<typeof MethodKindSchema>;

export const MethodInfoSchema = z.object({
  /** e.g. 'ft:full:tuneshot-base-encoder', 'ft:lora:...', 'ft:head:...', 'icl:builtin:tuneshot-base-lm'. */
  id: z.string().min(1),
  kind: MethodKindSchema,
  /** Model identifier (folder, hub-style name or backend:model). */
  model: z.string(),
  /** Fine-tuning variant ('full' | 'lora' | 'head') or ICL strategy ('rank' | 'generate' | ...). */
  variant: z.string().optional(),
  /** Parameters of the model used at inference. */
  params: z.number().nonnegative(),
  /** Parameters updated by training (fine-tuning only). */
  trainableParams: z.number().nonnegative().optional(),
  modelSizeBytes: z.number().nonnegative(),
  /** Human-readable name for reports; defaults to id. */
  label: z.string().optional(),
});
export type MethodInfo = z.infer<typeof MethodInfoSchema>;

export const CellMetricsSchema = z.object({
  accuracy: z.number().min(0).max(1),
  macroF1: z.number().min(0).max(1),
  perClassF1: z.record(z.string(), z.number()),
  /** confusion[i][j]: gold task.labels[i] predicted as task.labels[j]. */
  confusion: z.array(z.array(z.number().nonnegative())),
});
export type CellMetrics = z.infer<typeof CellMetricsSchema>;

export const TrainCostSchema = z.object({
  /** 0 for ICL (no training), or the time to build the prompt/index. */
  wallSeconds: z.number().nonnegative(),
  flops: z.number().nonnegative(),
});
export type TrainCost = z.infer<typeof TrainCostSchema>;

export const InferenceCostSchema = z.object({
  p50Ms: z.number().nonnegative(),
  p95Ms: z.number().nonnegative(),
  /** Tokens processed per query (prompt + continuation for ICL). */
  tokensPerQuery: z.number().nonnegative(),
  flopsPerQuery: z.number().nonnegative(),
});
export type InferenceCost = z.infer<typeof InferenceCostSchema>;

/** One run: a method at a budget with a seed (the seed draws the training examples / demonstrations). */
export const CellSchema = z.object({
  method: z.string(),
  budget: BudgetSchema,
  seed: z.number().int(),
  metrics: CellMetricsSchema,
  /** Predicted label for every test example, in test order. */
  predictions: z.array(z.string()),
  train: TrainCostSchema,
  inference: InferenceCostSchema,
  costPer1kQueriesUsd: z.number().nonnegative().optional(),
  /** Set when the run failed; metrics are then meaningless and the cell is left out of summaries. */
  error: z.string().optional(),
});
export type Cell = z.infer<typeof CellSchema>;

export const IntervalSchema = z.object({
  lower: z.number(),
  upper: z.number(),
  level: z.number(),
  /** 'pooled-bootstrap': test examples resampled, accuracy averaged over seeds; 'seeds': t-interval over seed accuracies; 'none': one seed and no gold labels. */
  basis: z.enum(['pooled-bootstrap', 'seeds', 'none']),
});
export type SummaryInterval = z.infer<typeof IntervalSchema>;

export const SummaryRowSchema = z.object({
  method: z.string(),
  budget: BudgetSchema,
  seeds: z.number().int().nonnegative(),
  meanAccuracy: z.number(),
  ci: IntervalSchema,
  stdAccuracy: z.number(),
  minAccuracy: z.number(),
  maxAccuracy: z.number(),
  meanMacroF1: z.number(),
  /** Fraction of test inputs predicted identically by every seed; null when predictions were not recorded. */
  agreement: z.number().nullable(),
  meanTrainSeconds: z.number(),
  meanTrainFlops: z.number(),
  p50Ms: z.number(),
  p95Ms: z.number(),
  tokensPerQuery: z.number(),
  flopsPerQuery: z.number(),
  costPer1kQueriesUsd: z.number().optional(),
});
export type SummaryRow = z.infer<typeof SummaryRowSchema>;

export const CompareResultsSchema = z.object({
  version: z.literal(RESULTS_VERSION),
  task: TaskInfoSchema,
  budgets: z.array(BudgetSchema),
  seeds: z.array(z.number().int()),
  methods: z.array(MethodInfoSchema),
  cells: z.array(CellSchema),
  summary: z.array(SummaryRowSchema),
  /** ISO 8601. */
  createdAt: z.string(),
  /** The command lines that produced these results (for reproduction). */
  commands: z.array(z.string()),
  /** Hardware/software notes, e.g. { cpu: '...', node: 'v20' }. */
  environment: z.record(z.string(), z.string()).optional(),
});
export type CompareResults = z.infer<typeof CompareResultsSchema>;

/** Validates parsed JSON as CompareResults (throws a readable error listing the bad fields). */
export function parseResults(json: unknown): CompareResults {
  const r = CompareResultsSchema.safeParse(json);
  if (!r.success) {
    const issues = r.error.issues
      .slice(0, 10)
      .map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('\n');
    throw new Error(`invalid compare results:\n${issues}`);
  }
  const res = r.data;
  const ids = new Set(res.methods.map((m) => m.id));
  for (const c of res.cells) {
    if (!ids.has(c.method)) throw new Error(`invalid compare results: cell names unknown method ${c.method}`);
  }
  return res;
}

/** Read a results.json; every error names the file. */
export function readResults(path: string): CompareResults {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code ? `${path}: cannot read (${code === 'EISDIR' ? 'a folder; give its results.json' : code})` : `${path}: not JSON, not a compare results.json (${(e as Error).message})`);
  }
  try {
    return parseResults(json);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Budgets.

export function budgetKey(b: Budget): string {
  return String(b);
}

/** Examples per class a budget stands for; 'all' = trainSize / number of labels (or Infinity without a task). */
export function budgetPerClass(b: Budget, task?: Pick<TaskInfo, 'trainSize' | 'labels'>): number {
  if (b !== 'all') return b;
  return task ? task.trainSize / Math.max(1, task.labels.length) : Infinity;
}

/** Orders budgets ascending, 'all' last. */
export function compareBudgets(a: Budget, b: Budget): number {
  if (a === b) return 0;
  if (a === 'all') return 1;
  if (b === 'all') return -1;
  return a - b;
}

export function formatBudget(b: Budget): string {
  return b === 'all' ? 'all data' : `${b}/class`;
}

// ---------------------------------------------------------------------------------------------
// Summary per method × budget.

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
  /** Gold test labels: with them, intervals are pooled bootstraps over test examples. */
  gold?: readonly string[];
  samples?: number;
  seed?: number;
}

function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

/**
 * Per method × budget summary of the cells (failed cells skipped): mean/std/min/max accuracy over
 * seeds, a 95% interval, mean macro-F1, agreement across seeds and mean costs. Rows are ordered by
 * method (first appearance) then budget.
 */
export function summarize(cells: readonly Cell[], options: SummarizeOptions = {}): SummaryRow[] {
  const groups = new Map<string, Cell[]>();
  const methodOrder: string[] = [];
  for (const c of cells) {
    if (c.error) continue;
    if (!methodOrder.includes(c.method)) methodOrder.push(c.method);
    const key = `${c.method}\u0000${budgetKey(c.budget)}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(c);
  }
  const rows: SummaryRow[] = [];
  for (const cs of groups.values()) {
    const first = cs[0]!;
    const accs = cs.map((c) => c.metrics.accuracy);
    const sp = spread(accs);
    const gold = options.gold;
    const preds = cs.map((c) => c.predictions);
    const havePreds = preds.every((p) => p.length > 0) && preds.every((p) => p.length === preds[0]!.length);
    let ci: SummaryInterval;
    if (gold && gold.length > 0 && havePreds && preds[0]!.length === gold.length) {
      // Per-example correctness averaged over seeds; resample examples.
      const perExample = gold.map((g, i) => mean(preds.map((p) => (p[i] === g ? 1 : 0))));
      const iv = bootstrapMeanInterval(perExample, { samples: options.samples ?? 1000, seed: options.seed ?? 0 });
      ci = { lower: iv.lower, upper: iv.upper, level: 0.95, basis: 'pooled-bootstrap' };
    } else if (cs.length > 1) {
      const half = (tCritical975(cs.length - 1) * sp.std) / Math.sqrt(cs.length);
      ci = { lower: Math.max(0, sp.mean - half), upper: Math.min(1, sp.mean + half), level: 0.95, basis: 'seeds' };
    } else {
      ci = { lower: sp.mean, upper: sp.mean, level: 0.95, basis: 'none' };
    }
    const costs = cs.map((c) => c.costPer1kQueriesUsd).filter((x): x is number => x !== undefined);
    const row: SummaryRow = {
      method: first.method,
      budget: first.budget,
      seeds: cs.length,
      meanAccuracy: sp.mean,
      ci,
      stdAccuracy: sp.std,
      minAccuracy: sp.min,
      maxAccuracy: sp.max,
      meanMacroF1: mean(cs.map((c) => c.metrics.macroF1)),
      agreement: havePreds ? agreement(preds) : null,
      meanTrainSeconds: mean(cs.map((c) => c.train.wallSeconds)),
      meanTrainFlops: mean(cs.map((c) => c.train.flops)),
      p50Ms: mean(cs.map((c) => c.inference.p50Ms)),
      p95Ms: mean(cs.map((c) => c.inference.p95Ms)),
      tokensPerQuery: mean(cs.map((c) => c.inference.tokensPerQuery)),
      flopsPerQuery: mean(cs.map((c) => c.inference.flopsPerQuery)),
    };
    if (costs.length === cs.length) row.costPer1kQueriesUsd = mean(costs);
    rows.push(row);
  }
  rows.sort((a, b) => {
    const m = methodOrder.indexOf(a.method) - methodOrder.indexOf(b.method);
    return m !== 0 ? m : compareBudgets(a.budget, b.budget);
  });
  return rows;
}

/** Fills in `summary` from the cells (using task.testGold when present). */
export function withSummary(results: Omit<CompareResults, 'summary'> & { summary?: SummaryRow[] }, options: Omit<SummarizeOptions, 'gold'> = {}): CompareResults {
  const gold = results.task.testGold;
  const summary = summarize(results.cells, gold ? { ...options, gold } : options);
  return { ...results, summary };
}

export function methodLabel(results: Pick<CompareResults, 'methods'>, id: string): string {
  const m = results.methods.find((x) => x.id === id);
  return m?.label ?? id;
}
