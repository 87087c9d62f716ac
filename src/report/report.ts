// The compare report: report.html (one self-contained file: inline CSS, charts inlined as SVG,
// no scripts, no external references), summary.md and results.json, each written atomically
// (temporary file in the same folder, then rename).

import { writeFileAtomicSync as writeFileAtomic, makeDirs } from '../io/atomic.js';
import { join } from 'node:path';
import { advise, favoursText, fmtMs, fmtSeconds, recommendationText, type Advice } from '../advise/advise.js';
import { flagMark } from '../eval/assess.js';
import { metricTitle } from '../eval/metric.js';
import type { ArmKind, CompareResults, SummaryRow } from '../eval/results.js';
import { formatBudget, armLabel } from '../eval/results.js';
import { bestRow, renderCharts, type RenderedCharts } from './charts.js';

export interface ReportPaths {
  html: string;
  markdown: string;
  json: string;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function f3(x: number): string {
  return Number.isFinite(x) ? x.toFixed(3) : 'n/a';
}

function sci(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  if (x === 0) return '0';
  return x >= 1e4 || x < 1e-2 ? x.toExponential(2) : String(+x.toPrecision(3));
}

function fmtBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

interface Table {
  head: string[];
  rows: string[][];
  /** Columns to right-align (numbers). */
  numeric?: number[];
}

export function kindTitle(k: ArmKind): string {
  return k === 'finetune' ? 'fine-tuning' : k === 'icl' ? 'in-context learning' : k === 'distilled' ? 'distillation' : k === 'ft-remote' ? 'remote fine-tuning' : 'baseline';
}

/** One row per remote fine-tuning job behind a cell: which model each budget and seed made, and what it cost. */
export function remoteJobsTable(results: CompareResults): Table {
  const rows = results.cells
    .filter((c) => c.remoteJob && !c.error)
    .map((c) => {
      const j = c.remoteJob!;
      return [
        armLabel(results, c.arm), formatBudget(c.budget), String(c.seed), j.jobId, j.fineTunedModel,
        j.trainedTokens === null ? 'not reported' : String(j.trainedTokens),
        c.oneOffCostUsd === undefined ? '' : `$${c.oneOffCostUsd.toFixed(2)}`,
        j.reused ? 'reused' : 'trained',
      ];
    });
  return { head: ['arm', 'budget', 'seed', 'job', 'fine-tuned model', 'trained tokens', 'training $', 'this run'], rows, numeric: [2, 5, 6] };
}

/** One row per arm × budget: the primary metric first, then the other metrics, costs, and whether it may be recommended. */
export function summaryTable(results: CompareResults): Table {
  const m = results.metric.name;
  type Column = [head: string, cell: (r: SummaryRow) => string, numeric: boolean];
  const columns: Column[] = [
    ['arm', (r) => armLabel(results, r.arm), false],
    ['budget', (r) => formatBudget(r.budget), false],
    ['seeds', (r) => String(r.seeds), true],
    [metricTitle(m), (r) => f3(r.mean), true],
    ['95% interval', (r) => `[${f3(r.ci.lower)}, ${f3(r.ci.upper)}]${r.ci.basis === 'seeds' ? ' (seeds)' : r.ci.basis === 'none' ? ' (1 seed)' : ''}`, false],
    ['std', (r) => f3(r.std), true],
    ...(m !== 'accuracy' ? [['accuracy', (r: SummaryRow) => f3(r.meanAccuracy), true] as Column] : []),
    ...(m !== 'macro-f1' ? [['macro-F1', (r: SummaryRow) => f3(r.meanMacroF1), true] as Column] : []),
    ['most predicted', (r) => `${r.topLabel} ${(r.topLabelShare * 100).toFixed(0)}%`, false],
    ['agreement', (r) => (r.agreement === null ? 'n/a' : f3(r.agreement)), true],
    ['train', (r) => fmtSeconds(r.meanTrainSeconds), true],
    ['p50', (r) => fmtMs(r.p50Ms), true],
    ['p95', (r) => fmtMs(r.p95Ms), true],
    ['tokens/query', (r) => String(Math.round(r.tokensPerQuery)), true],
    ['FLOPs/query', (r) => sci(r.flopsPerQuery), true],
    ...(results.summary.some((r) => r.costPer1kQueriesUsd !== undefined)
      ? [['$/1k queries', (r: SummaryRow) => (r.costPer1kQueriesUsd === undefined ? '' : `$${r.costPer1kQueriesUsd.toFixed(4)}`), true] as Column] : []),
    ...(results.summary.some((r) => r.oneOffCostUsd !== undefined)
      ? [['one-off $', (r: SummaryRow) => (r.oneOffCostUsd === undefined ? '' : `$${r.oneOffCostUsd.toFixed(2)}`), true] as Column] : []),
    ['status', (r) => flagMark(r) || 'ok', false],
  ];
  return {
    head: columns.map((c) => c[0]),
    numeric: columns.flatMap((c, i) => (c[2] ? [i] : [])),
    rows: results.summary.map((r) => columns.map((c) => c[1](r))),
  };
}

/** The reasons listed under the recommendation (the metric is said once, above them). */
function listedReasons(advice: Advice): Advice['reasons'] {
  return advice.reasons.filter((r) => r.rule !== 'metric');
}

function armsTable(results: CompareResults): Table {
  return {
    head: ['arm', 'kind', 'model', 'variant', 'parameters', 'trainable', 'size'],
    numeric: [4, 5, 6],
    rows: results.arms.map((m) => [
      armLabel(results, m.id),
      kindTitle(m.kind),
      m.model,
      m.variant ?? '',
      sci(m.params),
      m.trainableParams === undefined ? '' : sci(m.trainableParams),
      fmtBytes(m.modelSizeBytes),
    ]),
  };
}

function perClassTable(results: CompareResults): Table {
  const labels = results.task.labels;
  const rows: string[][] = [];
  for (const m of results.arms) {
    const b = bestRow(results, m.id);
    if (!b) continue;
    const cells = results.cells.filter((c) => !c.error && c.arm === m.id && String(c.budget) === String(b.budget));
    const f1 = labels.map((l) => {
      const v = cells.map((c) => c.metrics.perClassF1[l]).filter((x): x is number => x !== undefined);
      return v.length ? f3(v.reduce((a, x) => a + x, 0) / v.length) : 'n/a';
    });
    rows.push([armLabel(results, m.id), formatBudget(b.budget), ...f1]);
  }
  return { head: ['arm', 'best budget', ...labels.map((l) => `F1 ${l}`)], rows, numeric: labels.map((_, i) => i + 2) };
}

function htmlTable(t: Table, cls = '', flaggedRows: ReadonlySet<number> = new Set()): string {
  const num = new Set(t.numeric ?? []);
  const th = t.head.map((h, i) => `<th${num.has(i) ? ' class="num"' : ''}>${escapeHtml(h)}</th>`).join('');
  const body = t.rows
    .map((r, k) => `<tr${flaggedRows.has(k) ? ' class="flagged"' : ''}>${r.map((c, i) => `<td${num.has(i) ? ' class="num"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function mdTable(t: Table): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const num = new Set(t.numeric ?? []);
  return [
    `| ${t.head.map(esc).join(' | ')} |`,
    `|${t.head.map((_, i) => (num.has(i) ? '---:' : '---')).join('|')}|`,
    ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #222; background: #fff; margin: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 32px 64px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid #e5e5e5; padding-bottom: 4px; }
.meta { color: #666; margin: 0 0 16px; }
.advice { border-left: 6px solid #888; background: #f6f6f6; padding: 12px 18px; border-radius: 4px; }
.advice.finetune { border-color: #1f77b4; background: #eef5fb; }
.advice.icl { border-color: #d62728; background: #fcefef; }
.advice.baseline { border-color: #555; background: #f3f3f3; }
.metric { color: #444; }
tr.flagged td { color: #999; }
.advice.undecided { border-color: #999; }
.advice .rec { font-size: 18px; font-weight: 600; margin: 0 0 6px; }
.advice ul { margin: 6px 0 0; padding-left: 20px; }
.advice li { margin: 3px 0; }
.rule { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; color: #555; }
.favours { font-size: 12px; color: #555; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
figure.chart { margin: 0; padding: 8px; border: 1px solid #eee; border-radius: 4px; background: #fff; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
figure.chart figcaption { font-size: 12px; color: #555; max-width: 600px; }
figure.chart.small figcaption { max-width: 360px; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border-bottom: 1px solid #e5e5e5; padding: 4px 8px; text-align: left; white-space: nowrap; }
th { background: #fafafa; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.scroll { overflow-x: auto; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
pre { background: #f6f6f6; padding: 8px 12px; overflow-x: auto; }
`;

/** Strips the XML prologue (if any) so the SVG can be inlined in HTML. */
function inlineSvg(svg: string): string {
  return svg.replace(/^<\?xml[^>]*>\s*/, '');
}

export function reportHtml(results: CompareResults, advice: Advice, charts: RenderedCharts): string {
  const t = results.task;
  const title = `tuneshot compare: ${t.description ?? t.trainDataset}`;
  const metric = metricTitle(results.metric.name);
  const reasons = listedReasons(advice)
    .map((r) => {
      const f = favoursText(r);
      return `<li data-rule="${escapeHtml(r.rule)}"><span class="rule">[${escapeHtml(r.rule)}]</span> ${escapeHtml(r.text)}${f ? ` <span class="favours">(${escapeHtml(f)})</span>` : ''}</li>`;
    })
    .join('\n');
  const c = advice.crossover;
  const crossover = c
    ? `<p class="crossover">Crossover: fine-tuning (${escapeHtml(armLabel(results, c.arm))}) first beats the best ICL mean at <strong>${escapeHtml(formatBudget(c.budget))}</strong>: ${escapeHtml(metric)} ${f3(c.finetuneMean)} vs ${f3(c.iclBestMean)}.</p>`
    : `<p class="crossover">No crossover: fine-tuning never beat the best ICL mean at a measured budget (or one kind has no result above the floor, or was not measured).</p>`;
  const confusionFigures = charts.confusion
    .map(
      (x) =>
        `<figure class="chart small" data-chart="confusion" data-arm="${escapeHtml(x.arm)}">${inlineSvg(x.svg)}<figcaption>Confusion matrix of ${escapeHtml(armLabel(results, x.arm))} at its best budget (${escapeHtml(formatBudget(x.budget))}), summed over seeds; colour is the share of the gold row.</figcaption></figure>`,
    )
    .join('\n');
  const flagged = new Set(results.summary.map((r, i) => (r.flag ? i : -1)).filter((i) => i >= 0));
  const remote = remoteJobsTable(results);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
<p class="meta">${t.labels.length} labels (${escapeHtml(t.labels.join(', '))}) · train ${t.trainSize} (${escapeHtml(t.trainDataset)}) · test ${t.testSize} (${escapeHtml(t.testDataset)}) · budgets ${escapeHtml(results.budgets.map(String).join(', '))} a class · seeds ${escapeHtml(results.seeds.join(', '))} · ${escapeHtml(results.createdAt)}</p>

<section class="advice ${advice.recommendation}" id="advice">
<p class="rec">${escapeHtml(recommendationText(advice))}</p>
<p class="metric" id="metric">Ranked by <strong>${escapeHtml(metric)}</strong>: ${escapeHtml(results.metric.reason)}.</p>
${crossover}
<ul class="reasons">
${reasons}
</ul>
</section>

<h2>Learning curves</h2>
<div class="charts">
<figure class="chart" data-chart="learning-curve">${inlineSvg(charts.learningCurve)}<figcaption>Mean test ${escapeHtml(metric)} over seeds at each labelled-data budget, one line per arm (baselines dashed); the band is the 95% interval; crosses and triangles mark results that are degenerate or no better than the majority baseline${c ? '; the dashed vertical line marks the crossover budget' : ''}.</figcaption></figure>
</div>

<h2>Cost and accuracy</h2>
<div class="charts">
<figure class="chart" data-chart="cost-accuracy">${inlineSvg(charts.costAccuracy)}<figcaption>Each point is an arm at a budget (labelled); horizontal position is the median inference latency a query on a log scale (the baselines answer in microseconds, at the far left), the vertical line its 95% ${escapeHtml(metric)} interval${results.summary.some((r) => (r.costPer1kQueriesUsd ?? 0) > 0 || r.oneOffCostUsd !== undefined) ? '; where priced, the dollars are written beside the point: per 1,000 queries, and once for a one-off cost (remote training, a teacher\'s labelling) paid before the first query' : ''}.</figcaption></figure>
</div>

<h2>Confusion matrices</h2>
<div class="charts">
${confusionFigures}
</div>

<h2>Figures</h2>
<div class="scroll">${htmlTable(summaryTable(results), 'summary', flagged)}</div>
<h2>Per-class F1 at each method's best budget</h2>
<div class="scroll">${htmlTable(perClassTable(results), 'perclass')}</div>
<h2>Arms</h2>
<div class="scroll">${htmlTable(armsTable(results), 'arms')}</div>
${remote.rows.length ? `<h2>Remote fine-tuning jobs</h2>
<p class="meta">Each budget and seed trained one job of the provider's fine-tuning jobs API (or reused a finished one for the same data and hyperparameters); call a model as <code>openai:&lt;fine-tuned model&gt;</code> at ${escapeHtml([...new Set(results.cells.flatMap((c) => (c.remoteJob ? [c.remoteJob.endpoint] : [])))].join(', '))}.</p>
<div class="scroll">${htmlTable(remote, 'remote-jobs')}</div>` : ''}
<h2>Reproduce</h2>
<pre>${escapeHtml(results.commands.join('\n') || '(no commands recorded)')}</pre>
</main>
</body>
</html>
`;
}

export function summaryMarkdown(results: CompareResults, advice: Advice): string {
  const t = results.task;
  const lines: string[] = [];
  lines.push(`# tuneshot compare: ${t.description ?? t.trainDataset}`, '');
  lines.push(`${t.labels.length} labels (${t.labels.join(', ')}); train ${t.trainSize} (${t.trainDataset}); test ${t.testSize} (${t.testDataset}); budgets ${results.budgets.join(', ')} a class; seeds ${results.seeds.join(', ')}; ${results.createdAt}.`, '');
  lines.push(`## ${recommendationText(advice)}`, '');
  lines.push(`Ranked by ${metricTitle(results.metric.name)}: ${results.metric.reason}.`, '');
  for (const r of listedReasons(advice)) {
    const f = favoursText(r);
    lines.push(`- **${r.rule}**: ${r.text}${f ? ` (${f})` : ''}`);
  }
  lines.push('');
  const c = advice.crossover;
  lines.push(c ? `Crossover: ${formatBudget(c.budget)} (${c.arm}: ${f3(c.finetuneMean)} vs best ICL ${f3(c.iclBestMean)}).` : 'No crossover at the measured budgets.', '');
  lines.push('## Figures', '', mdTable(summaryTable(results)), '');
  lines.push('## Per-class F1 at best budget', '', mdTable(perClassTable(results)), '');
  lines.push('## Arms', '', mdTable(armsTable(results)), '');
  const remote = remoteJobsTable(results);
  if (remote.rows.length) lines.push('## Remote fine-tuning jobs', '', mdTable(remote), '');
  if (results.commands.length) lines.push('## Reproduce', '', '```sh', ...results.commands, '```', '');
  return lines.join('\n');
}

/**
 * Writes report.html, summary.md and results.json into outDir (created if needed), each
 * atomically. Without `advice`, advises on the evidence alone (no constraints).
 */
export async function writeReport(outDir: string, results: CompareResults, advice?: Advice): Promise<ReportPaths> {
  const a = advice ?? advise(results, {});
  const charts = await renderCharts(results, a);
  makeDirs(outDir);
  const paths: ReportPaths = {
    html: join(outDir, 'report.html'),
    markdown: join(outDir, 'summary.md'),
    json: join(outDir, 'results.json'),
  };
  writeFileAtomic(paths.json, JSON.stringify(results, null, 2) + '\n');
  writeFileAtomic(paths.markdown, summaryMarkdown(results, a));
  writeFileAtomic(paths.html, reportHtml(results, a, charts));
  return paths;
}
