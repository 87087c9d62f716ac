// The compare report: report.html (one self-contained file: inline CSS, charts inlined as SVG,
// no scripts, no external references), summary.md and results.json, each written atomically
// (temporary file in the same folder, then rename).

import { writeFileAtomicSync as writeFileAtomic, makeDirs } from '../io/atomic.js';
import { join } from 'node:path';
import { advise, fmtMs, fmtSeconds, recommendationText, type Advice } from '../advise/advise.js';
import type { CompareResults, SummaryRow } from '../eval/results.js';
import { formatBudget, methodLabel } from '../eval/results.js';
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

function summaryTable(results: CompareResults): Table {
  return {
    head: ['method', 'budget', 'seeds', 'accuracy', '95% interval', 'std', 'macro-F1', 'agreement', 'train', 'p50', 'p95', 'tokens/query', 'FLOPs/query', '$/1k queries'],
    numeric: [2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13],
    rows: results.summary.map((r: SummaryRow) => [
      methodLabel(results, r.method),
      formatBudget(r.budget),
      String(r.seeds),
      f3(r.meanAccuracy),
      `[${f3(r.ci.lower)}, ${f3(r.ci.upper)}]${r.ci.basis === 'seeds' ? ' (seeds)' : r.ci.basis === 'none' ? ' (1 seed)' : ''}`,
      f3(r.stdAccuracy),
      f3(r.meanMacroF1),
      r.agreement === null ? 'n/a' : f3(r.agreement),
      fmtSeconds(r.meanTrainSeconds),
      fmtMs(r.p50Ms),
      fmtMs(r.p95Ms),
      String(Math.round(r.tokensPerQuery)),
      sci(r.flopsPerQuery),
      r.costPer1kQueriesUsd === undefined ? '' : `$${r.costPer1kQueriesUsd.toFixed(4)}`,
    ]),
  };
}

function methodsTable(results: CompareResults): Table {
  return {
    head: ['method', 'kind', 'model', 'variant', 'parameters', 'trainable', 'size'],
    numeric: [4, 5, 6],
    rows: results.methods.map((m) => [
      methodLabel(results, m.id),
      m.kind === 'finetune' ? 'fine-tuning' : 'in-context learning',
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
  for (const m of results.methods) {
    const b = bestRow(results, m.id);
    if (!b) continue;
    const cells = results.cells.filter((c) => !c.error && c.method === m.id && String(c.budget) === String(b.budget));
    const f1 = labels.map((l) => {
      const v = cells.map((c) => c.metrics.perClassF1[l]).filter((x): x is number => x !== undefined);
      return v.length ? f3(v.reduce((a, x) => a + x, 0) / v.length) : 'n/a';
    });
    rows.push([methodLabel(results, m.id), formatBudget(b.budget), ...f1]);
  }
  return { head: ['method', 'best budget', ...labels.map((l) => `F1 ${l}`)], rows, numeric: labels.map((_, i) => i + 2) };
}

function htmlTable(t: Table, cls = ''): string {
  const num = new Set(t.numeric ?? []);
  const th = t.head.map((h, i) => `<th${num.has(i) ? ' class="num"' : ''}>${escapeHtml(h)}</th>`).join('');
  const body = t.rows
    .map((r) => `<tr>${r.map((c, i) => `<td${num.has(i) ? ' class="num"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`)
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
  const reasons = advice.reasons
    .map(
      (r) =>
        `<li data-rule="${escapeHtml(r.rule)}"><span class="rule">[${escapeHtml(r.rule)}]</span> ${escapeHtml(r.text)}${
          r.favours !== 'neither' ? ` <span class="favours">(favours ${r.favours === 'finetune' ? 'fine-tuning' : 'ICL'}${r.excludes ? `; rules out ${r.excludes === 'finetune' ? 'fine-tuning' : 'ICL'}` : ''})</span>` : ''
        }</li>`,
    )
    .join('\n');
  const c = advice.crossover;
  const crossover = c
    ? `<p class="crossover">Crossover: fine-tuning (${escapeHtml(methodLabel(results, c.method))}) first beats the best ICL mean at <strong>${escapeHtml(formatBudget(c.budget))}</strong>: ${f3(c.finetuneMean)} vs ${f3(c.iclBestMean)}.</p>`
    : `<p class="crossover">No crossover: fine-tuning never beat the best ICL mean at a measured budget (or one kind was not measured).</p>`;
  const confusionFigures = charts.confusion
    .map(
      (x) =>
        `<figure class="chart small" data-chart="confusion" data-method="${escapeHtml(x.method)}">${inlineSvg(x.svg)}<figcaption>Confusion matrix of ${escapeHtml(methodLabel(results, x.method))} at its best budget (${escapeHtml(formatBudget(x.budget))}), summed over seeds; colour is the share of the gold row.</figcaption></figure>`,
    )
    .join('\n');
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
${crossover}
<ul class="reasons">
${reasons}
</ul>
</section>

<h2>Learning curves</h2>
<div class="charts">
<figure class="chart" data-chart="learning-curve">${inlineSvg(charts.learningCurve)}<figcaption>Mean test accuracy over seeds at each labelled-data budget, one line per method; the band is the 95% interval${c ? '; the dashed line marks the crossover budget' : ''}.</figcaption></figure>
</div>

<h2>Cost and accuracy</h2>
<div class="charts">
<figure class="chart" data-chart="cost-accuracy">${inlineSvg(charts.costAccuracy)}<figcaption>Each point is a method at a budget (labelled); horizontal position is the median inference latency a query on a log scale, the vertical line its 95% accuracy interval.</figcaption></figure>
</div>

<h2>Confusion matrices</h2>
<div class="charts">
${confusionFigures}
</div>

<h2>Figures</h2>
<div class="scroll">${htmlTable(summaryTable(results), 'summary')}</div>
<h2>Per-class F1 at each method's best budget</h2>
<div class="scroll">${htmlTable(perClassTable(results), 'perclass')}</div>
<h2>Methods</h2>
<div class="scroll">${htmlTable(methodsTable(results), 'methods')}</div>
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
  for (const r of advice.reasons) {
    lines.push(`- **${r.rule}**: ${r.text}${r.favours !== 'neither' ? ` (favours ${r.favours === 'finetune' ? 'fine-tuning' : 'ICL'})` : ''}`);
  }
  lines.push('');
  const c = advice.crossover;
  lines.push(c ? `Crossover: ${formatBudget(c.budget)} (${c.method}: ${f3(c.finetuneMean)} vs best ICL ${f3(c.iclBestMean)}).` : 'No crossover at the measured budgets.', '');
  lines.push('## Figures', '', mdTable(summaryTable(results)), '');
  lines.push('## Per-class F1 at best budget', '', mdTable(perClassTable(results)), '');
  lines.push('## Methods', '', mdTable(methodsTable(results)), '');
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
