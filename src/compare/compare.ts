// compare: fine-tuning versus in-context learning on the user's own data. For every labelled-data
// budget (examples a class) and seed, a class-balanced pool is drawn from the training set; every
// ICL model takes its demonstrations from that pool (budget 0 = zero-shot), every fine-tuning
// method trains on exactly that pool (skipped at budget 0), and all of them score the same test set.
// Each finished cell is written atomically to <out>/cells/, so a rerun after a crash reuses it
// (when its configuration hash matches) instead of recomputing. The results (CompareResults),
// the report and the advice are written to <out>.

import { truncateTokens } from '../icl/truncate.js';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Example } from '../data/dataset.js';
import { capBudgets, examplesOf, sampleBudget } from '../data/dataset.js';
import { shuffle } from '../data/random.js';
import { advise, type Advice, type Constraints } from '../advise/advise.js';
import { classificationMetrics, percentile } from '../eval/metrics.js';
import {
  RESULTS_VERSION, budgetKey, parseResults, withSummary,
  type Budget, type Cell, type CompareResults, type MethodInfo,
} from '../eval/results.js';
import { createLanguageModel, type LanguageModel } from '../icl/index.js';
import { IclClassifier } from '../icl/classify.js';
import { continuationFor, createPromptProgram, verbalize, type SelectionMethod } from '../icl/prompt.js';
import { TransformerModel, isHeadParam, isLoraParam } from '../models/model.js';
import { resolveModel } from '../models/resolve.js';
import { hashInputs, openRegistry, type Registry } from '../registry/registry.js';
import { writeReport, type ReportPaths } from '../report/report.js';
import { writeFileAtomicSync as writeFileAtomic } from '../io/atomic.js';
import { openOutputFolder, prepareOutputFolder, type OutputOptions } from '../io/output.js';
import { validateCompareOptions } from '../options/validate.js';
import { finetune } from '../train/finetune.js';
import { ALL_METHODS, type Method } from '../train/methods/index.js';
import { Progress } from '../util/progress.js';

/** Bump when a change to this file makes old cells incomparable. */
const CELL_FORMAT = 1;

export interface CompareOptions {
  /** Training examples: a JSONL/CSV path or loaded examples (the pools are drawn from them). */
  train: string | Example[];
  /** Test examples every method is scored on. */
  test: string | Example[];
  /** Optional dev set for fine-tuning (early stopping / model selection). */
  dev?: string | Example[];
  /** Closed label set; default: the sorted labels of the training set. */
  labels?: string[];
  /** ICL language models as "backend:model" specs, e.g. "builtin:tuneshot-base-lm". */
  icl?: string[];
  /** Base models to fine-tune (folders or embedded names), e.g. "tuneshot-base-encoder". */
  ft?: string[];
  /** Fine-tuning methods (default full, lora, head). */
  methods?: Method[];
  /** Examples a class; 0 = zero-shot ICL (fine-tuning skipped); 'all' = the whole training set. */
  budgets?: Budget[];
  /** Number of seeds (0..n-1) or the seeds themselves. */
  seeds?: number | number[];
  /** Output folder: results.json, report.html, summary.md, cells/. */
  out: string;
  /** Demonstrations a prompt (default 4; capped by the pool). */
  k?: number;
  calibrate?: boolean;
  select?: SelectionMethod;
  /** ICL instruction line (default "Classify the text as one of: <labels>."). */
  instruction?: string;
  /**
   * USD per 1,000 tokens, keyed by method id ("icl:openai:gpt-4o-mini"), model/spec, backend
   * ("openai"), fine-tuning method ("full"/"lora"/"head") or kind ("icl"/"ft"); the most specific wins.
   */
  prices?: Record<string, number>;
  /** Epochs per fine-tuning method (default head 10, lora 5, full 5). */
  epochs?: Partial<Record<Method, number>>;
  batchSize?: number;
  lr?: number;
  /** Max tokens a fine-tuning input (default 128). */
  maxLength?: number;
  /** Score only this many test examples (a fixed random subset, the same for every cell). */
  testLimit?: number;
  /** Queries timed one at a time (batch size 1) for the fine-tuned models' latency (default 32). */
  latencySample?: number;
  /** Constraints passed to the advice written into the report. */
  constraints?: Constraints;
  /** Registry: a Registry, a home folder, or false for none (default: $TUNESHOT_HOME). */
  registry?: Registry | string | false;
  /** Command line recorded in the results (for reproduction). */
  command?: string;
  onProgress?: (event: CompareProgressEvent) => void;
  /** Called before a cell is computed (not for reused cells); throwing aborts the run (tests simulate a crash with it). */
  beforeCell?: (cell: CellKey) => void;
  quiet?: boolean;
}

export interface CellKey {
  method: string;
  budget: Budget;
  seed: number;
}

export type CompareProgressEvent =
  | { type: 'cell-start'; cell: CellKey; index: number; total: number }
  | { type: 'cell-done'; cell: CellKey; index: number; total: number; reused: boolean; accuracy?: number; error?: string }
  | { type: 'query'; cell: CellKey; done: number; total: number };

export interface CompareOutput {
  results: CompareResults;
  advice: Advice;
  paths: ReportPaths;
  /** Cells computed in this run / reused from an earlier one. */
  computed: CellKey[];
  reused: CellKey[];
  runId?: number;
  /** Notes on how things were measured (also in results.environment). */
  notes: string[];
}

interface MethodPlan {
  info: Omit<MethodInfo, 'params' | 'modelSizeBytes' | 'trainableParams'>;
  kind: 'icl' | 'finetune';
  /** ICL spec or base model name. */
  spec: string;
  method?: Method;
  /** What identifies the model's weights (for cell hashes). */
  fingerprint: string;
}

interface CellFile {
  format: number;
  hash: string;
  method: MethodInfo;
  cell: Cell;
}

// ---------------------------------------------------------------------------------------------
// Helpers.

function sha(x: unknown): string {
  return createHash('sha256').update(typeof x === 'string' ? x : JSON.stringify(x)).digest('hex');
}

/** A safe file name for a cell: <method>__<budget>__<seed>.json. */
export function cellFileName(c: CellKey): string {
  const safe = c.method.replace(/[^A-Za-z0-9._-]+/g, '_');
  const m = safe.length > 80 ? `${safe.slice(0, 60)}_${sha(c.method).slice(0, 12)}` : safe;
  return `${m}__${budgetKey(c.budget)}__${c.seed}.json`;
}

/** Identity of a model's weights: the resolved folder plus size/mtime of its files (or the spec itself for remote models). */
function modelFingerprint(name: string): string {
  try {
    const dir = resolveModel(name);
    const files = readdirSync(dir).filter((f) => /\.(json|safetensors)$/.test(f)).sort();
    return sha([path.resolve(dir), files.map((f) => { const s = statSync(path.join(dir, f)); return [f, s.size, Math.floor(s.mtimeMs)]; })]);
  } catch {
    if (existsSync(name)) { const s = statSync(name); return sha([path.resolve(name), s.size, Math.floor(s.mtimeMs)]); }
    return sha(name);
  }
}

function iclFingerprint(spec: string): string {
  const i = spec.indexOf(':');
  const backend = spec.slice(0, i), model = spec.slice(i + 1);
  return backend === 'builtin' || backend === 'llamacpp' ? sha([backend, modelFingerprint(model)]) : sha(spec);
}

function priceFor(prices: Record<string, number> | undefined, plan: MethodPlan): number | undefined {
  if (!prices) return undefined;
  const keys = [plan.info.id, plan.spec, plan.kind === 'icl' ? plan.spec.slice(0, plan.spec.indexOf(':')) : plan.method!, plan.kind === 'icl' ? 'icl' : 'ft'];
  for (const k of keys) if (k !== undefined && prices[k] !== undefined) return prices[k];
  return undefined;
}

function countTrainable(model: TransformerModel, method: Method): number {
  if (method === 'full') return model.numParams();
  let n = 0;
  for (const [name, v] of model.params.values) {
    if (method === 'lora' ? isHeadParam(name) : isHeadParam(name) && !isLoraParam(name)) n += v.data.length;
  }
  return n;
}

function environment(notes: string[]): Record<string, string> {
  const cpus = os.cpus();
  const env: Record<string, string> = {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: String(cpus.length),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
  notes.forEach((n, i) => (env[`note${i + 1}`] = n));
  return env;
}

function failedCell(key: CellKey, labels: readonly string[], message: string): Cell {
  return {
    method: key.method, budget: key.budget, seed: key.seed,
    metrics: { accuracy: 0, macroF1: 0, perClassF1: {}, confusion: labels.map(() => labels.map(() => 0)) },
    predictions: [],
    train: { wallSeconds: 0, flops: 0 },
    inference: { p50Ms: 0, p95Ms: 0, tokensPerQuery: 0, flopsPerQuery: 0 },
    error: message,
  };
}

function metricsOf(gold: string[], pred: string[], labels: string[]): Cell['metrics'] {
  const m = classificationMetrics(gold, pred, labels);
  return {
    accuracy: m.accuracy,
    macroF1: m.macroF1,
    perClassF1: Object.fromEntries(labels.map((l) => [l, m.perClass[l]?.f1 ?? 0])),
    confusion: m.confusion,
  };
}

// ---------------------------------------------------------------------------------------------
// The run.

export async function compare(o: CompareOptions): Promise<CompareOutput> {
  validateCompareOptions(o);
  const output: OutputOptions = { kind: 'compare', inputs: [o.train, o.test, o.dev, ...(o.ft ?? []), ...(o.icl ?? []).map((s) => s.slice(s.indexOf(':') + 1))].map((p) => (typeof p === 'string' ? p : undefined)) };
  prepareOutputFolder(o.out, output);
  const trainSet = examplesOf(o.train, o.labels);
  const labels = o.labels ?? trainSet.labels;
  const testAll = examplesOf(o.test, labels);
  const dev = o.dev ? examplesOf(o.dev, labels).examples : undefined;
  const unknown = [...new Set(testAll.examples.map((e) => e.label ?? ''))].filter((l) => !labels.includes(l));
  if (unknown.length) throw new Error(`test labels not in the label set (${labels.join(', ')}): ${unknown.join(', ')}`);
  const test = o.testLimit !== undefined && o.testLimit < testAll.examples.length
    ? shuffle(testAll.examples, 0x7e57).slice(0, o.testLimit)
    : testAll.examples;
  const gold = test.map((e) => e.label!);
  const capped = capBudgets(o.budgets ?? [0, 4, 16, 64, 'all'], trainSet.examples);
  const budgets = capped.budgets;
  if (capped.note && !o.quiet) process.stderr.write(`compare: ${capped.note}\n`);
  const seeds = typeof o.seeds === 'number' || o.seeds === undefined ? Array.from({ length: o.seeds ?? 3 }, (_, i) => i) : o.seeds;
  const methods = o.methods ?? [...ALL_METHODS];
  const k = o.k ?? 4;
  const calibrate = o.calibrate ?? false;
  const select = o.select ?? 'balanced';
  const maxLength = o.maxLength ?? 128;
  const batchSize = o.batchSize ?? 8;
  const epochsOf = (m: Method) => o.epochs?.[m] ?? (m === 'head' ? 10 : 5);
  const latencySample = Math.min(o.latencySample ?? 32, test.length);
  const instruction = o.instruction ?? `Classify the text as one of: ${labels.join(', ')}.`;
  if ((o.icl ?? []).length + (o.ft ?? []).length === 0) throw new Error('nothing to compare: give at least one ICL model (icl) or base model to fine-tune (ft)');
  if (seeds.length === 0) throw new Error('at least one seed');
  if (budgets.length === 0) throw new Error('at least one budget');

  const notes = [
    `latency: fine-tuned models timed one query at a time (batch size 1) on ${latencySample} test examples; ICL timed per query (one prompt each) on every test example; sequential, wall clock`,
    `ICL: each demonstration and the query are cut to an equal share of the language model's context window (prefix kept), so k demonstrations and the query fit`,
    `zero-shot ICL (budget 0) does not depend on the seed: computed once a run and shared by every seed`,
    `FLOPs per query: 2 x parameters x tokens processed (forward pass; ICL counts prompt + label tokens)`,
    ...(capped.note ? [capped.note] : []),
    ...(test.length < testAll.examples.length ? [`test subset: ${test.length} of ${testAll.examples.length} examples (fixed random sample)`] : []),
  ];

  // Plan methods.
  const plans: MethodPlan[] = [];
  for (const spec of o.icl ?? []) {
    if (spec.indexOf(':') <= 0) throw new Error(`ICL model must look like "<backend>:<model>", got "${spec}"`);
    if (spec.startsWith('builtin:')) resolveModel(spec.slice('builtin:'.length)); // fail fast: a missing model is not a failed cell
    plans.push({ kind: 'icl', spec, fingerprint: iclFingerprint(spec), info: { id: `icl:${spec}`, kind: 'icl', model: spec, variant: calibrate ? 'rank+calibrate' : 'rank', label: `ICL ${path.basename(spec.slice(spec.indexOf(':') + 1))}` } });
  }
  for (const base of o.ft ?? []) {
    resolveModel(base);
    for (const m of methods) {
      if (!ALL_METHODS.includes(m)) throw new Error(`unknown fine-tuning method "${m}" (full, lora, head)`);
      plans.push({ kind: 'finetune', spec: base, method: m, fingerprint: modelFingerprint(base), info: { id: `ft:${m}:${base}`, kind: 'finetune', model: base, variant: m, label: `${m === 'head' ? 'head-only' : m === 'lora' ? 'LoRA' : 'full'} FT ${path.basename(base)}` } });
    }
  }

  const cellKeys: Array<{ key: CellKey; plan: MethodPlan }> = [];
  for (const plan of plans) for (const b of budgets) {
    if (plan.kind === 'finetune' && b === 0) continue;
    for (const s of seeds) cellKeys.push({ key: { method: plan.info.id, budget: b, seed: s }, plan });
  }

  const dataHash = sha([trainSet.examples.map((e) => [e.text, e.textPair ?? null, e.label]), test.map((e) => [e.text, e.textPair ?? null, e.label]), dev?.map((e) => [e.text, e.label]) ?? null, labels]);
  const cellHash = (plan: MethodPlan, key: CellKey) => sha({
    format: CELL_FORMAT, dataHash, method: plan.info.id, fingerprint: plan.fingerprint, budget: key.budget, seed: key.seed,
    ...(plan.kind === 'icl' ? { k, calibrate, select, instruction } : { epochs: epochsOf(plan.method!), batchSize, lr: o.lr ?? null, maxLength }),
    latencySample, price: priceFor(o.prices, plan) ?? null,
  });

  const out = o.out;
  const cellsDir = path.join(out, 'cells');
  openOutputFolder(out, output);
  mkdirSync(cellsDir, { recursive: true });

  const command = o.command ?? `tuneshot compare --train ${trainSet.name} --test ${testAll.name}${(o.icl ?? []).map((s) => ` --icl ${s}`).join('')}${(o.ft ?? []).map((s) => ` --ft ${s}`).join('')} --methods ${methods.join(',')} --budgets ${budgets.join(',')} --seeds ${seeds.length} --out ${out}`;
  const config = {
    train: trainSet.name, test: testAll.name, dev: typeof o.dev === 'string' ? o.dev : o.dev ? '(in memory)' : null, labels,
    icl: o.icl ?? [], ft: o.ft ?? [], methods, budgets, seeds, k, calibrate, select, epochs: Object.fromEntries(methods.map((m) => [m, epochsOf(m)])),
    batchSize, lr: o.lr ?? null, maxLength, testLimit: o.testLimit ?? null, out: path.resolve(out), command,
  };

  // Registry.
  let registry: Registry | undefined;
  let ownRegistry = false;
  if (o.registry !== false) {
    registry = typeof o.registry === 'object' ? o.registry : openRegistry(...(typeof o.registry === 'string' ? [o.registry] : []));
    ownRegistry = typeof o.registry !== 'object';
  }
  const inputHash = typeof o.train === 'string' && typeof o.test === 'string'
    ? sha([dataHash, await hashInputs([o.train, o.test])])
    : dataHash;
  const runId = registry?.recordRun({ kind: 'compare', config, inputHash, artifacts: [path.resolve(out)], status: 'running' });

  const progress = new Progress({ total: cellKeys.length, label: 'compare', unit: 'q/s', quiet: o.quiet ?? false });
  progress.start(0);

  const lms = new Map<string, Promise<LanguageModel>>();
  const bases = new Map<string, Promise<TransformerModel>>();
  const methodInfo = new Map<string, MethodInfo>();
  const cells: Cell[] = [];
  const computed: CellKey[] = [];
  const reused: CellKey[] = [];
  const zeroShot = new Map<string, Cell>();

  try {
    for (let idx = 0; idx < cellKeys.length; idx++) {
      const { key, plan } = cellKeys[idx]!;
      const file = path.join(cellsDir, cellFileName(key));
      const hash = cellHash(plan, key);
      o.onProgress?.({ type: 'cell-start', cell: key, index: idx, total: cellKeys.length });
      let prior: CellFile | undefined;
      if (existsSync(file)) {
        try {
          const f = JSON.parse(readFileSync(file, 'utf8')) as CellFile;
          if (f.format === CELL_FORMAT && f.hash === hash && !f.cell.error) prior = f;
        } catch { /* a torn or foreign file: recompute */ }
      }
      if (prior) {
        cells.push(prior.cell);
        if (!methodInfo.has(key.method)) methodInfo.set(key.method, prior.method);
        reused.push(key);
        progress.update(idx + 1, { cell: `${key.method} ${budgetKey(key.budget)}/${key.seed}`, acc: prior.cell.metrics.accuracy, reused: 'yes' });
        o.onProgress?.({ type: 'cell-done', cell: key, index: idx, total: cellKeys.length, reused: true, accuracy: prior.cell.metrics.accuracy });
        continue;
      }
      const shared = key.budget === 0 && plan.kind === 'icl' ? zeroShot.get(key.method) : undefined;
      if (shared) {
        // Zero-shot ICL has no pool to draw: every seed gives the same prompts, so it is computed once.
        const cell: Cell = { ...shared, seed: key.seed };
        writeFileAtomic(file, JSON.stringify({ format: CELL_FORMAT, hash, method: methodInfo.get(key.method)!, cell } satisfies CellFile) + '\n');
        cells.push(cell);
        computed.push(key);
        progress.update(idx + 1, { cell: `${key.method} 0/${key.seed}`, acc: cell.metrics.accuracy });
        o.onProgress?.({ type: 'cell-done', cell: key, index: idx, total: cellKeys.length, reused: false, accuracy: cell.metrics.accuracy });
        continue;
      }
      o.beforeCell?.(key);
      const fields = { cell: `${key.method} ${budgetKey(key.budget)}/${key.seed}` };
      let lastDone = 0;
      const onQuery = (done: number, total: number) => {
        progress.update(idx, { ...fields, q: `${done}/${total}` }, done - lastDone);
        lastDone = done;
        o.onProgress?.({ type: 'query', cell: key, done, total });
      };
      let cell: Cell;
      let info: MethodInfo | undefined;
      try {
        const pool = sampleBudget(trainSet.examples, key.budget, key.seed);
        const r = plan.kind === 'icl'
          ? await runIclCell(plan, key, pool, { lms, test, labels, k, calibrate, select, instruction, onQuery })
          : await runFinetuneCell(plan, key, pool, { bases, test, dev, labels, epochs: epochsOf(plan.method!), batchSize, lr: o.lr, maxLength, latencySample, onQuery });
        info = r.info;
        const predictions = r.predictions;
        const price = priceFor(o.prices, plan);
        cell = {
          method: key.method, budget: key.budget, seed: key.seed,
          metrics: metricsOf(gold, predictions, labels),
          predictions,
          train: r.train,
          inference: r.inference,
          ...(price !== undefined ? { costPer1kQueriesUsd: price * r.inference.tokensPerQuery } : {}),
        };
        writeFileAtomic(file, JSON.stringify({ format: CELL_FORMAT, hash, method: info, cell } satisfies CellFile) + '\n');
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        cell = failedCell(key, labels, msg);
        if (!o.quiet) process.stderr.write(`\ncompare: ${key.method} at ${budgetKey(key.budget)}/class, seed ${key.seed} failed: ${msg}\n`);
      }
      if (info && !methodInfo.has(key.method)) methodInfo.set(key.method, info);
      if (key.budget === 0 && plan.kind === 'icl' && !cell.error) zeroShot.set(key.method, cell);
      cells.push(cell);
      computed.push(key);
      progress.update(idx + 1, { ...fields, acc: cell.error ? 'failed' : cell.metrics.accuracy });
      o.onProgress?.({ type: 'cell-done', cell: key, index: idx, total: cellKeys.length, reused: false, ...(cell.error ? { error: cell.error } : { accuracy: cell.metrics.accuracy }) });
    }
  } catch (e) {
    progress.stop();
    if (runId !== undefined) registry!.updateRun(runId, { status: 'failed', metrics: { error: e instanceof Error ? e.message : String(e), cellsDone: computed.length + reused.length } });
    if (ownRegistry) registry!.close();
    throw e;
  } finally {
    progress.stop();
    for (const p of lms.values()) await p.then((lm) => lm.dispose?.()).catch(() => undefined);
  }

  const methodsOut: MethodInfo[] = plans.map((p) => methodInfo.get(p.info.id) ?? { ...p.info, params: 0, modelSizeBytes: 0 });
  const results = parseResults(withSummary({
    version: RESULTS_VERSION,
    task: {
      labels, trainSize: trainSet.examples.length, testSize: test.length, trainDataset: trainSet.name, testDataset: testAll.name, testGold: gold,
    },
    budgets, seeds, methods: methodsOut, cells,
    createdAt: new Date().toISOString(),
    commands: [command],
    environment: environment(notes),
  }));
  const advice = advise(results, o.constraints ?? {});
  const paths = await writeReport(out, results, advice);
  if (runId !== undefined) {
    registry!.updateRun(runId, {
      status: cells.some((c) => c.error) ? 'failed' : 'succeeded',
      metrics: {
        recommendation: advice.recommendation,
        ...(advice.method ? { method: advice.method } : {}),
        ...(advice.budget !== undefined ? { budget: advice.budget } : {}),
        cells: cells.length, failedCells: cells.filter((c) => c.error).length, computedCells: computed.length, reusedCells: reused.length,
        summary: results.summary.map((r) => ({ method: r.method, budget: r.budget, meanAccuracy: r.meanAccuracy, meanMacroF1: r.meanMacroF1, p95Ms: r.p95Ms })),
      },
      artifacts: [path.resolve(paths.json), path.resolve(paths.html), path.resolve(paths.markdown), path.resolve(cellsDir)],
    });
  }
  if (ownRegistry) registry!.close();
  return { results, advice, paths, computed, reused, notes, ...(runId !== undefined ? { runId } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Cells.

interface CellRun {
  info: MethodInfo;
  predictions: string[];
  train: Cell['train'];
  inference: Cell['inference'];
}

interface IclCellContext {
  lms: Map<string, Promise<LanguageModel>>;
  test: Example[];
  labels: string[];
  k: number;
  calibrate: boolean;
  select: SelectionMethod;
  instruction: string;
  onQuery: (done: number, total: number) => void;
}

/** Parameters of a language model where the backend can tell (the builtin engine can). */
function lmParams(lm: LanguageModel): number {
  const m = (lm as unknown as { model?: { numParams?: () => number } }).model;
  return typeof m?.numParams === 'function' ? m.numParams() : 0;
}

async function runIclCell(plan: MethodPlan, key: CellKey, pool: Example[], c: IclCellContext): Promise<CellRun> {
  let lmP = c.lms.get(plan.spec);
  if (!lmP) c.lms.set(plan.spec, (lmP = createLanguageModel(plan.spec)));
  const lm = await lmP;
  const started = performance.now();
  const k = Math.min(c.k, pool.length);
  const program = createPromptProgram({
    task: 'classify', labels: c.labels, k, instruction: c.instruction, calibrate: c.calibrate,
    selection: { method: c.select, order: 'random', seed: key.seed },
  });
  // Long texts are cut so that the query and k demonstrations share the context window.
  const words = c.labels.flatMap((l) => verbalize(program, l));
  let labelTokens = 0;
  for (const w of words) labelTokens += (await lm.tokenize(continuationFor(program, w))).length;
  const maxLabel = Math.max(...(await Promise.all(words.map(async (w) => (await lm.tokenize(continuationFor(program, w))).length))));
  const overhead = (await lm.tokenize(`${c.instruction}\n\nText: \nLabel:`)).length + 8 * (k + 1) + maxLabel;
  const perText = Math.max(16, Math.floor((lm.contextLength - overhead) / (k + 1)));
  const cut = async (e: Example): Promise<Example> => ({ ...e, text: await truncateTokens(lm, e.text, perText) });
  const demos = await Promise.all(pool.map(cut));
  const clf = new IclClassifier({ lm, program, pool: demos, concurrency: 1 });
  const prepSeconds = (performance.now() - started) / 1000;
  const predictions: string[] = [];
  const latencies: number[] = [];
  let promptTokens = 0;
  for (let i = 0; i < c.test.length; i++) {
    const q = await cut(c.test[i]!);
    const t0 = performance.now();
    const [p] = await clf.predictDetailed([{ text: q.text, ...(q.textPair !== undefined ? { textPair: q.textPair } : {}) }]);
    latencies.push(performance.now() - t0);
    predictions.push(p!.label);
    promptTokens += (await lm.tokenize(p!.prompt)).length;
    c.onQuery(i + 1, c.test.length);
  }
  const params = lmParams(lm);
  const tokensPerQuery = c.test.length ? promptTokens / c.test.length + labelTokens : 0;
  let sizeBytes = params * 4;
  const model = plan.spec.slice(plan.spec.indexOf(':') + 1);
  if (plan.spec.startsWith('llamacpp:') && existsSync(model)) sizeBytes = statSync(model).size;
  return {
    info: { ...plan.info, params, modelSizeBytes: sizeBytes },
    predictions,
    train: { wallSeconds: prepSeconds, flops: 0 },
    inference: {
      p50Ms: percentile(latencies, 50) || 0,
      p95Ms: percentile(latencies, 95) || 0,
      tokensPerQuery,
      flopsPerQuery: 2 * params * tokensPerQuery,
    },
  };
}

interface FinetuneCellContext {
  bases: Map<string, Promise<TransformerModel>>;
  test: Example[];
  dev?: Example[];
  labels: string[];
  epochs: number;
  batchSize: number;
  lr?: number;
  maxLength: number;
  latencySample: number;
  onQuery: (done: number, total: number) => void;
}

async function runFinetuneCell(plan: MethodPlan, key: CellKey, pool: Example[], c: FinetuneCellContext): Promise<CellRun> {
  let baseP = c.bases.get(plan.spec);
  if (!baseP) c.bases.set(plan.spec, (baseP = TransformerModel.load(resolveModel(plan.spec))));
  const base = await baseP;
  const r = await finetune({
    model: base, train: pool, ...(c.dev ? { dev: c.dev } : {}), method: plan.method!, labels: c.labels,
    epochs: c.epochs, batchSize: Math.min(c.batchSize, pool.length), ...(c.lr !== undefined ? { lr: c.lr } : {}),
    maxLength: c.maxLength, seed: key.seed, quiet: true, onWarning: () => undefined,
  });
  const clf = r.model;
  if (!('predict' in clf)) throw new Error('fine-tuning did not produce a classifier');
  const inputs = c.test.map((e) => ({ text: e.text, ...(e.textPair !== undefined ? { textPair: e.textPair } : {}) }));
  // Accuracy pass: batches of 32 (throughput).
  const predictions: string[] = [];
  for (let i = 0; i < inputs.length; i += 32) {
    for (const p of await clf.predict(inputs.slice(i, i + 32))) predictions.push(p.label);
    c.onQuery(Math.min(i + 32, inputs.length), inputs.length);
  }
  // Latency pass: one query at a time; the first call (graph build) is a warm-up, not timed.
  const latencies: number[] = [];
  if (c.latencySample > 0) await clf.predict([inputs[0]!]);
  for (let i = 0; i < c.latencySample; i++) {
    const t0 = performance.now();
    await clf.predict([inputs[i]!]);
    latencies.push(performance.now() - t0);
  }
  const tok = clf.model.tokenizer!;
  const maxLen = Math.min(c.maxLength, clf.model.config.maxPositions);
  let tokens = 0;
  for (const x of inputs) tokens += Math.min(maxLen, tok.encode(x.text, x.textPair ?? null, { addSpecialTokens: true }).length);
  const tokensPerQuery = inputs.length ? tokens / inputs.length : 0;
  const params = clf.model.numParams();
  return {
    info: { ...plan.info, params, trainableParams: countTrainable(clf.model, plan.method!), modelSizeBytes: clf.bytes },
    predictions,
    train: { wallSeconds: r.trainSeconds, flops: r.trainFlops },
    inference: {
      p50Ms: latencies.length ? percentile(latencies, 50) : 0,
      p95Ms: latencies.length ? percentile(latencies, 95) : 0,
      tokensPerQuery,
      flopsPerQuery: 2 * params * tokensPerQuery,
    },
  };
}
