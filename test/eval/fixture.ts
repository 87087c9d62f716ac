// TEST FIXTURE DATA: a synthetic, realistic-looking CompareResults generator for tests of
// summarize, advise and the report. Nothing here is measured; accuracies, latencies and costs are
// made up by the caller and predictions are drawn with a seeded generator to hit them.

import { classificationMetrics, seededRandom } from '../../src/eval/metrics.js';
import type { ArmInfo, Budget, Cell, CompareResults } from '../../src/eval/results.js';
import { RESULTS_VERSION } from '../../src/eval/results.js';
import { withSummary } from '../../src/eval/summary.js';

export interface FixtureMethod {
  id: string;
  kind: 'finetune' | 'icl' | 'distilled' | 'baseline';
  /** Target accuracy at each budget (budgets absent here get no cells). */
  accuracy: Partial<Record<string, number>>;
  /** Instead of hitting a target accuracy, always answer this label (a degenerate or majority predictor). */
  constant?: string;
  p50Ms: number;
  trainSeconds?: number;
  /** 0..1: how much per-seed noise decides correctness (higher = less agreement across seeds). */
  seedNoise?: number;
  params?: number;
  costPer1kQueriesUsd?: number;
  /** One-off USD a cell (training, the teacher's labelling). */
  oneOffCostUsd?: number;
}

export interface FixtureOptions {
  labels?: string[];
  testSize?: number;
  trainSize?: number;
  budgets?: Budget[];
  seeds?: number[];
  methods: FixtureMethod[];
  seed?: number;
  /** Share of each gold label (default uniform). */
  labelShares?: number[];
  /** Primary metric (default: chosen from the gold labels). */
  metric?: string;
}

export function fixtureResults(opts: FixtureOptions): CompareResults {
  const labels = opts.labels ?? ['negative', 'neutral', 'positive'];
  const testSize = opts.testSize ?? 300;
  const budgets = opts.budgets ?? [0, 4, 16, 64, 'all'];
  const seeds = opts.seeds ?? [1, 2, 3];
  const rand = seededRandom(opts.seed ?? 42);
  const shares = opts.labelShares ?? labels.map(() => 1 / labels.length);
  const pick = (u: number) => {
    let acc = 0;
    for (let i = 0; i < labels.length; i++) if (u < (acc += shares[i]!)) return labels[i]!;
    return labels[labels.length - 1]!;
  };
  const gold = Array.from({ length: testSize }, () => pick(rand()));
  // Latent difficulty per test example, shared by all methods (hard examples are hard for all).
  const difficulty = gold.map(() => rand());
  const arms: ArmInfo[] = opts.methods.map((m) => ({
    id: m.id,
    kind: m.kind,
    model: m.id.split(':').slice(2).join(':') || m.id,
    variant: m.id.split(':')[1] ?? '',
    params: m.params ?? (m.kind === 'finetune' ? 4.4e6 : 1.1e8),
    modelSizeBytes: (m.params ?? (m.kind === 'finetune' ? 4.4e6 : 1.1e8)) * 4,
  }));
  const cells: Cell[] = [];
  for (const m of opts.methods) {
    const noise = m.seedNoise ?? (m.kind === 'finetune' ? 0.15 : 0.35);
    for (const b of budgets) {
      const target = m.accuracy[String(b)];
      if (target === undefined) continue;
      for (const seed of seeds) {
        const r = seededRandom(seed * 7919 + budgets.indexOf(b) * 104729 + opts.methods.indexOf(m) * 15485863);
        const predictions = gold.map((g, i) => {
          if (m.constant !== undefined) return m.constant;
          const score = r() < noise ? r() : difficulty[i]!;
          if (score < target) return g;
          const others = labels.filter((l) => l !== g);
          return others[Math.floor(r() * others.length)]!;
        });
        const cm = classificationMetrics(gold, predictions, labels);
        const perClassF1: Record<string, number> = {};
        for (const l of labels) perClassF1[l] = cm.perClass[l]!.f1;
        const jitter = 0.9 + 0.2 * r();
        const cell: Cell = {
          arm: m.id,
          budget: b,
          seed,
          metrics: { accuracy: cm.accuracy, macroF1: cm.macroF1, perClassF1, confusion: cm.confusion },
          predictions,
          train: {
            wallSeconds: m.kind === 'icl' ? 0 : (m.trainSeconds ?? (m.kind === 'baseline' ? 0.05 : 30)) * jitter,
            flops: m.kind === 'finetune' ? 1e12 * (typeof b === 'number' ? b + 1 : 200) : 0,
          },
          inference: {
            p50Ms: m.p50Ms * jitter,
            p95Ms: m.p50Ms * jitter * 1.6,
            tokensPerQuery: m.kind !== 'icl' ? 48 : 48 + 40 * (typeof b === 'number' ? Math.min(b, 16) * labels.length : 48),
            flopsPerQuery: m.kind === 'baseline' ? 1e4 : m.kind === 'finetune' ? 4e8 : 2e10 * (1 + (typeof b === 'number' ? b : 16) / 4),
          },
        };
        if (m.costPer1kQueriesUsd !== undefined) cell.costPer1kQueriesUsd = m.costPer1kQueriesUsd;
        if (m.oneOffCostUsd !== undefined) cell.oneOffCostUsd = m.oneOffCostUsd;
        cells.push(cell);
      }
    }
  }
  return withSummary(
    {
      version: RESULTS_VERSION,
      task: {
        labels,
        trainSize: opts.trainSize ?? 3000,
        testSize,
        trainDataset: 'fixture-train.jsonl (synthetic test fixture)',
        testDataset: 'fixture-test.jsonl (synthetic test fixture)',
        testGold: gold,
        description: 'TEST FIXTURE: synthetic sentiment task',
      },
      budgets,
      seeds,
      arms,
      cells,
      ...(opts.metric ? { metric: { name: opts.metric, reason: `${opts.metric} (fixture)` } } : {}),
      createdAt: '2025-01-01T00:00:00.000Z',
      commands: ['tuneshot compare --fixture (synthetic test fixture)'],
    },
    { samples: 400, seed: 0 },
  );
}
