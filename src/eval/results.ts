// The contract between `tuneshot compare` (which fills it) and advise/report (which read it): the
// results of every comparison arm (in-context learning, fine-tuning, the baselines, ...) at several
// labelled-data budgets and seeds, scored on one test set. Schemas are zod so that results.json
// read back is validated; the TypeScript types are inferred from them.
//
// Version 2 names a compared approach an "arm" (version 1 said "method", which is also what a
// fine-tuning method is called), adds the baseline kind, the primary metric and its reason, one-off
// costs, and summary rows ranked by the primary metric with degenerate arms flagged.
// Version 3 (this one) adds the remote fine-tuning kind ('ft-remote') and each remote cell's
// provider job (`remoteJob`); the rest is version 2's.
//
// The version moves whenever a file written now could be refused or misread by the reader of the
// previous version (a new arm kind is one: a version-2 reader refuses 'ft-remote'), so an older
// tuneshot says "reads versions 1 and 2, got 3" instead of failing on a field. Every older version
// stays readable: parseResults (read.ts) upgrades version 1 (results-v1.ts) and version 2 (the same
// fields, every version-2 kind included).

import { z } from 'zod';

export const RESULTS_VERSION = 3;

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

/**
 * What an arm is, for the advice: learned by prompting, by fine-tuning (here, or by a provider's
 * fine-tuning jobs API: 'ft-remote'), by distillation, or a reference baseline.
 */
export const ArmKindSchema = z.enum(['finetune', 'icl', 'distilled', 'ft-remote', 'baseline']);
export type ArmKind = z.infer<typeof ArmKindSchema>;

export const ArmInfoSchema = z.object({
  /** e.g. 'ft:full:tuneshot-base-encoder', 'icl:builtin:tuneshot-base-lm', 'baseline:tfidf', 'baseline:majority'. */
  id: z.string().min(1),
  kind: ArmKindSchema,
  /** Model identifier (folder, hub-style name, backend:model, or the baseline's name). */
  model: z.string(),
  /** Fine-tuning method ('full' | 'lora' | 'head'), ICL strategy ('rank' | 'rank+calibrate'), or baseline detail. */
  variant: z.string().optional(),
  /** Parameters of the model used at inference. */
  params: z.number().nonnegative(),
  /** Parameters updated by training (fine-tuning only). */
  trainableParams: z.number().nonnegative().optional(),
  modelSizeBytes: z.number().nonnegative(),
  /** Human-readable name for reports; defaults to id. */
  label: z.string().optional(),
});
export type ArmInfo = z.infer<typeof ArmInfoSchema>;

export const CellMetricsSchema = z.object({
  accuracy: z.number().min(0).max(1),
  macroF1: z.number().min(0).max(1),
  perClassF1: z.record(z.string(), z.number()),
  /** confusion[i][j]: gold task.labels[i] predicted as task.labels[j]. */
  confusion: z.array(z.array(z.number().nonnegative())),
});
export type CellMetrics = z.infer<typeof CellMetricsSchema>;

export const TrainCostSchema = z.object({
  /** Training time; for ICL the time to build the prompts. */
  wallSeconds: z.number().nonnegative(),
  flops: z.number().nonnegative(),
});
export type TrainCost = z.infer<typeof TrainCostSchema>;

export const InferenceCostSchema = z.object({
  p50Ms: z.number().nonnegative(),
  p95Ms: z.number().nonnegative(),
  /** Tokens processed per query (prompt + continuation for ICL; words for the TF-IDF baseline). */
  tokensPerQuery: z.number().nonnegative(),
  flopsPerQuery: z.number().nonnegative(),
});
export type InferenceCost = z.infer<typeof InferenceCostSchema>;

/** A remote fine-tuning job behind a cell: where it ran, what it made, and whether an earlier job was reused. */
export const RemoteJobInfoSchema = z.object({
  provider: z.string(),
  endpoint: z.string(),
  jobId: z.string(),
  /** Call it as openai:<fineTunedModel> at the endpoint. */
  fineTunedModel: z.string(),
  /** As the provider reported them (null when it did not). */
  trainedTokens: z.number().nonnegative().nullable(),
  /** A finished job for the same data and hyperparameters was reused: nothing was uploaded or trained for this cell. */
  reused: z.boolean(),
});
export type RemoteJobInfo = z.infer<typeof RemoteJobInfoSchema>;

/** One run: an arm at a budget with a seed (the seed draws the training examples / demonstrations). */
export const CellSchema = z.object({
  arm: z.string(),
  budget: BudgetSchema,
  seed: z.number().int(),
  metrics: CellMetricsSchema,
  /** Predicted label for every test example, in test order. */
  predictions: z.array(z.string()),
  train: TrainCostSchema,
  inference: InferenceCostSchema,
  /** Per-query cost in USD for 1,000 queries, when priced. */
  costPer1kQueriesUsd: z.number().nonnegative().optional(),
  /** One-off cost in USD (training, labelling data), when priced. */
  oneOffCostUsd: z.number().nonnegative().optional(),
  /** The provider's job that trained this cell's model (remote fine-tuning arms only). */
  remoteJob: RemoteJobInfoSchema.optional(),
  /** Set when the run failed; metrics are then meaningless and the cell is left out of summaries. */
  error: z.string().optional(),
});
export type Cell = z.infer<typeof CellSchema>;

export const IntervalSchema = z.object({
  lower: z.number(),
  upper: z.number(),
  level: z.number(),
  /** 'pooled-bootstrap': test examples resampled, the metric averaged over seeds; 'seeds': t-interval over seed values; 'none': one seed and no gold labels. */
  basis: z.enum(['pooled-bootstrap', 'seeds', 'none']),
});
export type SummaryInterval = z.infer<typeof IntervalSchema>;

export const MetricChoiceSchema = z.object({
  /** 'accuracy', 'macro-f1' or 'f1:<label>'. */
  name: z.string().regex(/^(accuracy|macro-f1|f1:.+)$/),
  reason: z.string(),
});

/** Why a row must not be recommended. */
export const FlagSchema = z.object({
  kind: z.enum(['degenerate', 'not-above-majority']),
  /** The reason with its numbers, e.g. 'predicts "ham" for 100% of test inputs (gold: 50%)'. */
  text: z.string(),
});
export type Flag = z.infer<typeof FlagSchema>;

export const SummaryRowSchema = z.object({
  arm: z.string(),
  budget: BudgetSchema,
  seeds: z.number().int().nonnegative(),
  /** The primary metric (results.metric.name) these figures are of. */
  metric: z.string(),
  mean: z.number(),
  ci: IntervalSchema,
  std: z.number(),
  min: z.number(),
  max: z.number(),
  meanAccuracy: z.number(),
  meanMacroF1: z.number(),
  /** The label predicted most often, and the share of test inputs it gets (mean over seeds). */
  topLabel: z.string(),
  topLabelShare: z.number(),
  /** Fraction of test inputs predicted identically by every seed; null when predictions were not recorded. */
  agreement: z.number().nullable(),
  meanTrainSeconds: z.number(),
  meanTrainFlops: z.number(),
  p50Ms: z.number(),
  p95Ms: z.number(),
  tokensPerQuery: z.number(),
  flopsPerQuery: z.number(),
  costPer1kQueriesUsd: z.number().optional(),
  oneOffCostUsd: z.number().optional(),
  flag: FlagSchema.optional(),
});
export type SummaryRow = z.infer<typeof SummaryRowSchema>;

export const CompareResultsSchema = z.object({
  version: z.literal(RESULTS_VERSION),
  task: TaskInfoSchema,
  /** The metric the advice and charts rank by, and why. */
  metric: MetricChoiceSchema,
  budgets: z.array(BudgetSchema),
  seeds: z.array(z.number().int()),
  arms: z.array(ArmInfoSchema),
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

export function armLabel(results: Pick<CompareResults, 'arms'>, id: string): string {
  const m = results.arms.find((x) => x.id === id);
  return m?.label ?? id;
}

export function armKind(results: Pick<CompareResults, 'arms'>, id: string): ArmKind | undefined {
  return results.arms.find((x) => x.id === id)?.kind;
}
