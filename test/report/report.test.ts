import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { inflateSync } from 'node:zlib';
import { advise } from '../../src/advise/advise.js';
import { readResults } from '../../src/eval/read.js';
import { writeReport } from '../../src/report/report.js';
import { fixtureResults } from '../fixtures/compare-results.js';

const CHROMIUM = '/usr/bin/chromium';

// TEST FIXTURE DATA: a realistic but entirely synthetic compare run (3 labels, 3 methods,
// budgets 0/4/16/64/all, 3 seeds). Nothing in it was measured.
const FT_FULL = 'ft:full:tuneshot-base-encoder';
const FT_LORA = 'ft:lora:tuneshot-base-encoder';
const ICL = 'icl:builtin:tuneshot-base-lm';
const results = fixtureResults({
  testSize: 300,
  methods: [
    { id: FT_FULL, kind: 'finetune', accuracy: { 4: 0.52, 16: 0.84, 64: 0.9, all: 0.93 }, p50Ms: 12, trainSeconds: 45, costPer1kQueriesUsd: 0.002 },
    { id: FT_LORA, kind: 'finetune', accuracy: { 4: 0.5, 16: 0.79, 64: 0.87, all: 0.9 }, p50Ms: 13, trainSeconds: 28, costPer1kQueriesUsd: 0.002 },
    { id: ICL, kind: 'icl', accuracy: { 0: 0.6, 4: 0.68, 16: 0.71 }, p50Ms: 340, costPer1kQueriesUsd: 0.05 },
  ],
});
const nMethods = results.arms.length;
const nRows = results.summary.length;
const nLabels = results.task.labels.length;

/** Decodes an 8-bit RGB(A) PNG (non-interlaced) enough to count distinct colours. */
function pngDistinctColors(png: Buffer): { width: number; height: number; colors: number; nonWhite: number } {
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  let off = 8;
  let width = 0, height = 0, colorType = 0, bitDepth = 0;
  const idat: Buffer[] = [];
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    const type = png.subarray(off + 4, off + 8).toString('latin1');
    const data = png.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      bitDepth = data[8]!;
      colorType = data[9]!;
    } else if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  assert.equal(bitDepth, 8);
  const bpp = colorType === 6 ? 4 : colorType === 2 ? 3 : assert.fail(`unexpected PNG colour type ${colorType}`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const out = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= bpp ? out[y * stride + x - bpp]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const c = x >= bpp && y > 0 ? out[(y - 1) * stride + x - bpp]! : 0;
      let p = 0;
      if (f === 1) p = a;
      else if (f === 2) p = b;
      else if (f === 3) p = (a + b) >> 1;
      else if (f === 4) {
        const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
        p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[y * stride + x] = (v + p) & 0xff;
    }
  }
  const colors = new Set<number>();
  let nonWhite = 0;
  for (let i = 0; i < out.length; i += bpp) {
    const rgb = (out[i]! << 16) | (out[i + 1]! << 8) | out[i + 2]!;
    colors.add(rgb);
    if (rgb !== 0xffffff) nonWhite++;
  }
  return { width, height, colors: colors.size, nonWhite };
}

test('writeReport writes report.html, summary.md and results.json atomically', async () => {
  const out = mkdtempSync(join(tmpdir(), 'tuneshot-report-'));
  try {
    const advice = advise(results, { queriesPerDay: 100_000 });
    const paths = await writeReport(out, results, advice);
    assert.deepEqual(readdirSync(out).sort(), ['report.html', 'results.json', 'summary.md'], 'no temporary files left');
    const back = readResults(paths.json);
    assert.equal(back.cells.length, results.cells.length);
    assert.deepEqual(back.summary, results.summary);
    const md = readFileSync(paths.markdown, 'utf8');
    assert.match(md, /## Recommendation: fine-tune/);
    assert.match(md, /\| arm \| budget \|/);
    const html = readFileSync(paths.html, 'utf8');
    // Self-contained: no external scripts, stylesheets, images or fonts.
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /<link\b/i);
    assert.doesNotMatch(html, /(src|href)\s*=\s*["']?(https?:)?\/\//i);
    assert.doesNotMatch(html, /url\(\s*['"]?https?:/i);
    assert.equal((html.match(/<svg\b/g) ?? []).length, 2 + nMethods);
    // Rewriting over an existing report works (rename replaces).
    await writeReport(out, results, advice);
    assert.deepEqual(readdirSync(out).sort(), ['report.html', 'results.json', 'summary.md']);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('report.html renders in headless Chromium with every chart and its marks', async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `Chromium is required for this test but ${CHROMIUM} is missing: install it (apt-get install -y chromium); CI's .ci/run does.`,
  );
  const out = mkdtempSync(join(tmpdir(), 'tuneshot-report-'));
  const profile = mkdtempSync(join(tmpdir(), 'tuneshot-chromium-'));
  const advice = advise(results, { queriesPerDay: 100_000, taskChangesPerMonth: 2 });
  assert.equal(advice.recommendation, 'finetune');
  assert.ok(advice.crossover, 'fixture has a crossover');
  const paths = await writeReport(out, results, advice);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1200, height: 900 },
    timeout: 20_000,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const external: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) external.push(r.url());
    });
    await page.goto(pathToFileURL(paths.html).href, { waitUntil: 'load', timeout: 15_000 });
    assert.deepEqual(external, [], 'report.html must not fetch anything');

    // Recommendation at the top, before the first chart, with its reasons.
    const rec = await page.locator('#advice .rec').textContent();
    assert.match(rec ?? '', /Recommendation: fine-tune/);
    const reasonCount = await page.locator('#advice li').count();
    assert.equal(reasonCount, advice.reasons.filter((r) => r.rule !== 'metric').length);
    assert.match((await page.locator('#advice .metric').textContent()) ?? '', /^Ranked by accuracy: the default on these labels: they are roughly balanced/);
    const order = await page.evaluate(() => {
      const a = document.querySelector('#advice')!.getBoundingClientRect().top;
      const c = document.querySelector('figure.chart')!.getBoundingClientRect().top;
      return a < c;
    });
    assert.ok(order, 'the advice comes before the charts');
    assert.match((await page.locator('.crossover').textContent()) ?? '', /16\/class/);

    const measure = (sel: string) =>
      page.evaluate((s) => {
        const svg = document.querySelector(`${s} svg`);
        if (!svg) return null;
        const r = svg.getBoundingClientRect();
        return { w: r.width, h: r.height };
      }, sel);

    // (a) learning curves: one line and one band per method, plus the crossover rule.
    const lc = 'figure[data-chart="learning-curve"]';
    const lcSize = await measure(lc);
    assert.ok(lcSize && lcSize.w > 100 && lcSize.h > 100, `learning curve size ${JSON.stringify(lcSize)}`);
    assert.equal(await page.locator(`${lc} g.curve_marks path`).count(), nMethods);
    assert.equal(await page.locator(`${lc} g.band_marks path`).count(), nMethods);
    assert.equal(await page.locator(`${lc} g.crossover_marks line, ${lc} g.crossover_marks path`).count(), 1);
    const lineBox = await page.locator(`${lc} g.curve_marks path`).first().boundingBox();
    assert.ok(lineBox && lineBox.width > 50, 'a learning curve spans several budgets');

    // (b) cost against accuracy: one point per method × budget.
    const ca = 'figure[data-chart="cost-accuracy"]';
    const caSize = await measure(ca);
    assert.ok(caSize && caSize.w > 100 && caSize.h > 100, `cost chart size ${JSON.stringify(caSize)}`);
    assert.equal(await page.locator(`${ca} g.costpoint_marks path`).count(), nRows);

    // (c) one confusion heatmap per method, labels² cells each.
    const cm = page.locator('figure[data-chart="confusion"]');
    assert.equal(await cm.count(), nMethods);
    for (let i = 0; i < nMethods; i++) {
      const fig = cm.nth(i);
      const box = await fig.locator('svg').boundingBox();
      assert.ok(box && box.width > 100 && box.height > 100, `heatmap ${i} size ${JSON.stringify(box)}`);
      assert.equal(await fig.locator('g.cell_marks path').count(), nLabels * nLabels);
    }

    // Tables of the figures.
    assert.equal(await page.locator('table.summary tbody tr').count(), nRows);

    // A screenshot that is not blank.
    const shot = join(out, 'report.png');
    const png = await page.screenshot({ path: shot, fullPage: true });
    assert.ok(statSync(shot).size > 10_000);
    const px = pngDistinctColors(png);
    assert.ok(px.height > 900, `full page height ${px.height}`);
    assert.ok(px.colors > 50, `screenshot has only ${px.colors} colours`);
    assert.ok(px.nonWhite > px.width * px.height * 0.02, 'screenshot is mostly blank');
  } finally {
    await context.close();
    rmSync(out, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  }
});

test('an imbalanced task: the report says macro-F1 and why, marks the degenerate ICL arm, and shows the baselines', async () => {
  // TEST FIXTURE DATA: 9% "relevant"; the ICL arm always answers "other".
  const r = fixtureResults({
    labels: ['other', 'relevant'], labelShares: [0.91, 0.09], testSize: 400, budgets: [0, 16, 64], seeds: [0, 1],
    methods: [
      { id: ICL, kind: 'icl', accuracy: { 0: 1, 16: 1, 64: 1 }, constant: 'other', p50Ms: 340 },
      { id: FT_FULL, kind: 'finetune', accuracy: { 16: 0.86, 64: 0.9 }, p50Ms: 12, trainSeconds: 45 },
      { id: 'baseline:tfidf', kind: 'baseline', accuracy: { 16: 0.7, 64: 0.75 }, p50Ms: 0.02 },
      { id: 'baseline:majority', kind: 'baseline', accuracy: { 16: 1, 64: 1 }, constant: 'other', p50Ms: 0.001 },
    ],
  });
  const out = mkdtempSync(join(tmpdir(), 'tuneshot-report-'));
  try {
    const advice = advise(r, {});
    assert.equal(advice.recommendation, 'finetune');
    const paths = await writeReport(out, r, advice);
    const md = readFileSync(paths.markdown, 'utf8');
    assert.match(md, /Ranked by macro-F1: the default on these labels: the most frequent test label, "other", holds 9\d% of the test set/);
    assert.match(md, /\| arm \| budget \| seeds \| macro-F1 \| 95% interval \|/);
    const figures = md.slice(md.indexOf('## Figures'), md.indexOf('## Per-class'));
    const iclRows = figures.split('\n').filter((l) => l.startsWith('| icl:builtin:tuneshot-base-lm |'));
    assert.equal(iclRows.length, 3);
    for (const l of iclRows) assert.match(l, /\| other 100% \|.*\| degenerate \|$/);
    assert.match(md, /^\| baseline:tfidf \| 16\/class \|.*\| ok \|$/m);
    assert.match(md, /^\| baseline:majority \| 64\/class \|/m);
    assert.match(md, /\*\*degenerate\*\*: icl:builtin:tuneshot-base-lm is degenerate at every measured budget/);
    const html = readFileSync(paths.html, 'utf8');
    assert.match(html, /<p class="metric" id="metric">Ranked by <strong>macro-F1<\/strong>/);
    assert.equal((html.match(/<tr class="flagged">/g) ?? []).length, r.summary.filter((x) => x.flag).length);
    assert.ok(r.summary.filter((x) => x.flag).length >= 3);
    // Charts rank by the primary metric; the cost chart has a point for every row, baselines included.
    assert.match(html, /test macro-F1 \(mean over seeds, 95% band\)/);
    assert.equal((html.match(/<svg\b/g) ?? []).length, 2 + r.arms.length);
    const costChart = html.slice(html.indexOf('data-chart="cost-accuracy"'), html.indexOf('</figure>', html.indexOf('data-chart="cost-accuracy"')));
    assert.match(costChart, /costpoint_marks/);
    assert.equal((costChart.match(/aria-label="[^"]*method: majority baseline|aria-label="[^"]*method: baseline:majority/g) ?? []).length, 2);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
