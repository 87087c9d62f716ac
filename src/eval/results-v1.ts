// Version 1 of results.json (tuneshot before comparison arms, baselines and the primary metric)
// and its upgrade to the current version: "methods" become "arms", each cell's "method" its "arm",
// and the summary is recomputed from the cells (the primary metric chosen from the test labels).
import { z } from 'zod';
import { formatIssuesOf } from './issues.js';
import { ArmInfoSchema, BudgetSchema, CellSchema, RESULTS_VERSION, TaskInfoSchema, type CompareResults } from './results.js';
import { withSummary } from './summary.js';

// Version 1's records are version 2's under other names: "method" for the arm, and no baselines or one-off costs.
const MethodInfoV1 = ArmInfoSchema.extend({ kind: z.enum(['finetune', 'icl']) });
const CellV1 = CellSchema.omit({ arm: true, oneOffCostUsd: true }).extend({ method: z.string() });

export const CompareResultsV1Schema = z.object({
  version: z.literal(1),
  task: TaskInfoSchema,
  budgets: z.array(BudgetSchema),
  seeds: z.array(z.number().int()),
  methods: z.array(MethodInfoV1),
  cells: z.array(CellV1),
  // Recomputed on upgrade; only its presence is checked.
  summary: z.array(z.unknown()),
  createdAt: z.string(),
  commands: z.array(z.string()),
  environment: z.record(z.string(), z.string()).optional(),
});
export type CompareResultsV1 = z.infer<typeof CompareResultsV1Schema>;

export function parseResultsV1(json: unknown): CompareResultsV1 {
  const r = CompareResultsV1Schema.safeParse(json);
  if (!r.success) throw new Error(`invalid compare results (version 1):\n${formatIssuesOf(r.error)}`);
  const ids = new Set(r.data.methods.map((m) => m.id));
  for (const c of r.data.cells) if (!ids.has(c.method)) throw new Error(`invalid compare results (version 1): cell names unknown method ${c.method}`);
  return r.data;
}

export function upgradeV1(v1: CompareResultsV1): CompareResults {
  const { methods, cells, summary: _summary, version: _version, ...rest } = v1;
  return withSummary({
    ...rest,
    version: RESULTS_VERSION,
    arms: methods,
    cells: cells.map(({ method, ...c }) => ({ arm: method, ...c })),
  });
}
