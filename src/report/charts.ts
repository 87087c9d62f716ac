// Charts of a compare run as Vega-Lite specs, compiled to Vega and rendered to SVG strings in
// Node (no browser, no canvas): learning curves of the primary metric with 95% bands and the
// crossover marked (baselines dashed, results that must not be recommended drawn as crosses), cost
// against the primary metric, and one confusion-matrix heatmap per arm at its best budget.
//
// Layers are named so the SVG carries stable classes for tests and styling:
//   learning curve: g.curve_marks (one line per arm), g.band_marks (one band per arm),
//                   g.crossover_marks (the crossover rule, when there is one)
//   cost/accuracy:  g.costpoint_marks (one symbol per arm × budget)
//   confusion:      g.cell_marks (one rect per gold × predicted label pair)

import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Advice } from '../advise/advise.js';
import type { Budget, CompareResults, SummaryRow } from '../eval/results.js';
import { metricTitle } from '../eval/metric.js';
import { budgetKey, compareBudgets, formatBudget, armLabel, type ArmKind } from '../eval/results.js';

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

const BASE_CONFIG = {
  font: FONT,
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320 },
  title: { fontSize: 14, anchor: 'start' as const },
};

/** Arms in results order, each with a label and a fixed colour shared by every chart (baselines in greys). */
function armColors(results: CompareResults): { domain: string[]; range: string[] } {
  const domain = results.arms.map((m) => armLabel(results, m.id));
  let learned = 0, baseline = 0;
  const range = results.arms.map((m) => (m.kind === 'baseline' ? BASELINE_GREYS[baseline++ % BASELINE_GREYS.length]! : PALETTE[learned++ % PALETTE.length]!));
  return { domain, range };
}

const BASELINE_GREYS = ['#555555', '#999999', '#777777'];

function kindName(k: ArmKind | undefined): string {
  return k === 'finetune' ? 'fine-tuned' : k === 'icl' ? 'in-context' : k === 'distilled' ? 'distilled' : k === 'ft-remote' ? 'fine-tuned remotely' : 'baseline';
}

/** Budgets that have rows, ascending ('all' last). */
export function budgetsInOrder(results: CompareResults): Budget[] {
  const seen = new Map<string, Budget>();
  for (const b of results.budgets) seen.set(budgetKey(b), b);
  for (const r of results.summary) seen.set(budgetKey(r.budget), r.budget);
  return [...seen.values()].sort(compareBudgets);
}

function budgetAxisLabel(b: Budget): string {
  return b === 'all' ? 'all' : String(b);
}

export function learningCurveSpec(results: CompareResults, advice?: Advice): TopLevelSpec {
  const budgets = budgetsInOrder(results);
  const idx = new Map(budgets.map((b, i) => [budgetKey(b), i]));
  const colors = armColors(results);
  const kinds = new Map(results.arms.map((m) => [m.id, m.kind]));
  const values = results.summary.map((r) => ({
    method: armLabel(results, r.arm),
    kind: kindName(kinds.get(r.arm)),
    budget: budgetAxisLabel(r.budget),
    budgetIndex: idx.get(budgetKey(r.budget))!,
    accuracy: r.mean,
    lower: r.ci.lower,
    upper: r.ci.upper,
    seeds: r.seeds,
    status: r.flag ? (r.flag.kind === 'degenerate' ? 'degenerate' : 'no better than majority') : 'ok',
  }));
  const metric = metricTitle(results.metric.name);
  const labelsExpr = `[${budgets.map((b) => JSON.stringify(budgetAxisLabel(b))).join(',')}][datum.value]`;
  const x = {
    field: 'budgetIndex',
    type: 'quantitative' as const,
    title: 'labelled examples a class (budget)',
    scale: { domain: [-0.25, Math.max(0, budgets.length - 1) + 0.25], nice: false, zero: false },
    axis: { values: budgets.map((_, i) => i), labelExpr: labelsExpr, grid: false },
  };
  const color = {
    field: 'method',
    type: 'nominal' as const,
    title: 'arm',
    scale: colors,
    legend: { orient: 'bottom' as const, columns: 1, symbolType: 'stroke', symbolOpacity: 1, symbolStrokeWidth: 3, symbolSize: 200 },
  };
  const dash = { field: 'kind', type: 'nominal' as const, title: 'kind', scale: { domain: ['fine-tuned', 'in-context', 'distilled', 'fine-tuned remotely', 'baseline'], range: [[1, 0], [1, 0], [1, 0], [1, 0], [5, 4]] }, legend: null };
  const status = { field: 'status', type: 'nominal' as const, title: 'result', scale: { domain: ['ok', 'degenerate', 'no better than majority'], range: ['circle', 'cross', 'triangle-down'] }, legend: { orient: 'bottom' as const } };
  const yMin = Math.max(0, Math.floor((Math.min(...values.map((v) => v.lower), 1) - 0.05) * 10) / 10);
  const y = { field: 'accuracy', type: 'quantitative' as const, title: `test ${metric} (mean over seeds, 95% band)`, scale: { domain: [yMin, 1] } };
  const layers: object[] = [
    {
      name: 'band',
      mark: { type: 'area', opacity: 0.18 },
      encoding: { x, y: { ...y, field: 'lower' }, y2: { field: 'upper' }, color },
    },
    {
      name: 'curve',
      mark: { type: 'line', strokeWidth: 2 },
      encoding: { x, y, color, strokeDash: dash },
    },
    {
      name: 'curvepoint',
      mark: { type: 'point', filled: true, size: 40 },
      encoding: {
        x,
        y,
        color,
        shape: status,
        tooltip: [
          { field: 'method' },
          { field: 'budget' },
          { field: 'status' },
          { field: 'accuracy', format: '.3f' },
          { field: 'lower', format: '.3f' },
          { field: 'upper', format: '.3f' },
        ],
      },
    },
  ];
  const c = advice?.crossover;
  if (c && idx.has(budgetKey(c.budget))) {
    layers.push({
      name: 'crossover',
      data: { values: [{ budgetIndex: idx.get(budgetKey(c.budget))!, label: `crossover: ${formatBudget(c.budget)}` }] },
      mark: { type: 'rule', strokeDash: [6, 4], color: '#555', strokeWidth: 1.5 },
      encoding: { x: { field: 'budgetIndex', type: 'quantitative' } },
    });
    layers.push({
      name: 'crossoverlabel',
      data: { values: [{ budgetIndex: idx.get(budgetKey(c.budget))!, label: `crossover: ${formatBudget(c.budget)}`, y: yMin }] },
      mark: { type: 'text', align: 'left', dx: 4, dy: -6, color: '#333', fontSize: 11 },
      encoding: { x: { field: 'budgetIndex', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, text: { field: 'label' } },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${metric[0]!.toUpperCase()}${metric.slice(1)} against labelled-data budget`,
    width: 560,
    height: 320,
    data: { values },
    layer: layers,
    config: BASE_CONFIG,
  } as TopLevelSpec;
}

/** "16/class", then "$0.0830/1k q" when a query costs something, then "$0.06 once" when there is a one-off cost. */
function costTag(r: SummaryRow): string {
  const parts = [formatBudget(r.budget)];
  if (r.costPer1kQueriesUsd !== undefined && r.costPer1kQueriesUsd > 0) parts.push(`$${r.costPer1kQueriesUsd.toFixed(4)}/1k q`);
  if (r.oneOffCostUsd !== undefined) parts.push(`$${r.oneOffCostUsd.toFixed(2)} once`);
  return parts.join(', ');
}

export function costAccuracySpec(results: CompareResults): TopLevelSpec {
  const colors = armColors(results);
  const kinds = new Map(results.arms.map((m) => [m.id, m.kind]));
  const metric = metricTitle(results.metric.name);
  // Points of one arm that coincide (the majority baseline at every budget) get one budget label, not a smudge.
  const placed = new Set<string>();
  const values = results.summary.map((r) => ({
    method: armLabel(results, r.arm),
    kind: kindName(kinds.get(r.arm)),
    budget: formatBudget(r.budget),
    // Dollars are written beside the point (the axis is latency): a price a query, and a one-off cost (remote training, a teacher's labelling).
    tag: ((key) => (placed.has(key) ? '' : (placed.add(key), costTag(r))))(`${r.arm}|${r.mean.toFixed(3)}|${Math.log10(Math.max(r.p50Ms, 1e-3)).toFixed(1)}`),
    // Baselines answer in microseconds: clamp to the axis floor so that they show, at the far left.
    p50Ms: Math.max(r.p50Ms, 1e-3),
    flopsPerQuery: r.flopsPerQuery,
    accuracy: r.mean,
    lower: r.ci.lower,
    upper: r.ci.upper,
  }));
  const x = { field: 'p50Ms', type: 'quantitative' as const, title: 'inference latency a query, p50 (ms, log scale)', scale: { type: 'log' as const } };
  const color = { field: 'method', type: 'nominal' as const, title: 'arm', scale: colors, legend: { orient: 'bottom' as const, columns: 1 } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Cost against ${metric} (each point: an arm at a budget)`,
    width: 560,
    height: 320,
    data: { values },
    layer: [
      {
        name: 'costerror',
        mark: { type: 'rule', opacity: 0.6 },
        encoding: { x, y: { field: 'lower', type: 'quantitative', title: `test ${metric} (mean, 95% interval)`, scale: { zero: false } }, y2: { field: 'upper' }, color },
      },
      {
        name: 'costpoint',
        mark: { type: 'point', filled: true, size: 70 },
        encoding: {
          x,
          y: { field: 'accuracy', type: 'quantitative', title: `test ${metric} (mean, 95% interval)`, scale: { zero: false } },
          color,
          shape: { field: 'kind', type: 'nominal', title: 'kind', scale: { domain: ['fine-tuned', 'in-context', 'distilled', 'fine-tuned remotely', 'baseline'], range: ['circle', 'diamond', 'triangle-up', 'triangle-right', 'square'] }, legend: { orient: 'bottom' } },
          tooltip: [{ field: 'method' }, { field: 'budget' }, { field: 'accuracy', format: '.3f' }, { field: 'p50Ms', format: '.1f' }, { field: 'flopsPerQuery', format: '.3s' }],
        },
      },
      {
        name: 'costlabel',
        mark: { type: 'text', dx: 7, align: 'left', fontSize: 10, color: '#444' },
        encoding: { x, y: { field: 'accuracy', type: 'quantitative' }, text: { field: 'tag' } },
      },
    ],
    config: BASE_CONFIG,
  } as TopLevelSpec;
}

/** Best summary row (highest mean primary metric; ties: smaller budget) of an arm. */
export function bestRow(results: CompareResults, arm: string): SummaryRow | undefined {
  let b: SummaryRow | undefined;
  for (const r of results.summary) {
    if (r.arm !== arm) continue;
    if (!b || r.mean > b.mean || (r.mean === b.mean && compareBudgets(r.budget, b.budget) < 0)) b = r;
  }
  return b;
}

/** Confusion counts of an arm at a budget, summed over seeds (failed cells skipped). */
export function pooledConfusion(results: CompareResults, arm: string, budget: Budget): number[][] {
  const k = results.task.labels.length;
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (const c of results.cells) {
    if (c.error || c.arm !== arm || budgetKey(c.budget) !== budgetKey(budget)) continue;
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) m[i]![j]! += c.metrics.confusion[i]?.[j] ?? 0;
  }
  return m;
}

export function confusionSpec(results: CompareResults, arm: string, budget: Budget): TopLevelSpec {
  const labels = results.task.labels;
  const conf = pooledConfusion(results, arm, budget);
  const values: Array<{ gold: string; predicted: string; count: number; rate: number }> = [];
  labels.forEach((g, i) => {
    const rowSum = conf[i]!.reduce((a, b) => a + b, 0);
    labels.forEach((p, j) => values.push({ gold: g, predicted: p, count: conf[i]![j]!, rate: rowSum > 0 ? conf[i]![j]! / rowSum : 0 }));
  });
  const side = Math.min(360, Math.max(160, labels.length * 60));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `${armLabel(results, arm)} at ${formatBudget(budget)}`, fontSize: 12 },
    width: side,
    height: side,
    data: { values },
    encoding: {
      x: { field: 'predicted', type: 'nominal', sort: labels, title: 'predicted', axis: { labelAngle: -30 } },
      y: { field: 'gold', type: 'nominal', sort: labels, title: 'gold' },
    },
    layer: [
      {
        name: 'cell',
        mark: { type: 'rect', stroke: '#fff', strokeWidth: 1 },
        encoding: {
          color: { field: 'rate', type: 'quantitative', title: 'share of gold row', scale: { domain: [0, 1], scheme: 'blues' } },
          tooltip: [{ field: 'gold' }, { field: 'predicted' }, { field: 'count' }, { field: 'rate', format: '.2f' }],
        },
      },
      {
        name: 'celltext',
        mark: { type: 'text', fontSize: 11 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: 'datum.rate > 0.5', value: 'white' }, value: 'black' },
        },
      },
    ],
    config: BASE_CONFIG,
  } as TopLevelSpec;
}

/** Compiles a Vega-Lite spec and renders it to an SVG string in Node (headless vega View). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vg = compile(spec).spec;
  const view = new vega.View(vega.parse(vg), { renderer: 'none', logLevel: vega.Warn });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface RenderedCharts {
  learningCurve: string;
  costAccuracy: string;
  confusion: Array<{ arm: string; budget: Budget; svg: string }>;
}

export async function renderCharts(results: CompareResults, advice?: Advice): Promise<RenderedCharts> {
  const [learningCurve, costAccuracy] = await Promise.all([renderSvg(learningCurveSpec(results, advice)), renderSvg(costAccuracySpec(results))]);
  const confusion: RenderedCharts['confusion'] = [];
  for (const m of results.arms) {
    const b = bestRow(results, m.id);
    if (!b) continue;
    confusion.push({ arm: m.id, budget: b.budget, svg: await renderSvg(confusionSpec(results, m.id, b.budget)) });
  }
  return { learningCurve, costAccuracy, confusion };
}
