// compare: which way of solving the user's task is right, measured on the user's own data. For every
// labelled-data budget (examples a class) and seed, a class-balanced pool is drawn from the training
// set; every arm (ICL models take their demonstrations from the pool, fine-tuning methods and the
// baselines train on it; budget 0 is zero-shot ICL only) scores the same test set. Finished cells
// are kept in <out>/cells/ so that a rerun after a crash reuses them. The results (CompareResults),
// the report and the advice are written to <out>, and the run is recorded in the registry.
//
// compare() reads as its steps: load the task, plan the arms and cells, then (recorded as a run)
// compute or reuse every cell, assemble the results, advise, write the report.

import * as os from 'node:os';
import * as path from 'node:path';
import type { Example } from '../data/dataset.js';
import { capBudgets, examplesOf, sampleBudget } from '../data/dataset.js';
import { shuffle } from '../data/random.js';
import { advise } from '../advise/advise.js';
import { classificationMetrics } from '../eval/metrics.js';
import { chooseMetric, type MetricChoice } from '../eval/metric.js';
import { parseResults } from '../eval/read.js';
import { RESULTS_VERSION, budgetKey, type ArmInfo, type Budget, type Cell, type CompareResults } from '../eval/results.js';
import { withSummary } from '../eval/summary.js';
import { trackRun } from '../registry/track.js';
import { parseBackendSpec } from '../icl/backends/index.js';
import { describeOrigin, resolvePretrained } from '../models/pretrained.js';
import { writeReport } from '../report/report.js';
import { openOutputFolder, prepareOutputFolder, type OutputOptions } from '../io/output.js';
import { validateCompareOptions } from '../options/validate.js';
import { ALL_METHODS } from '../train/methods/index.js';
import { Progress } from '../util/progress.js';
import { armInfo, type Arm, type ArmContext } from './arm.js';
import { ARM_PLANNERS } from './arms/index.js';
import { CellStore } from './cells.js';
import { sha } from './fingerprint.js';
import type { CellKey, CompareOptions, CompareOutput } from './options.js';

export { cellFileName } from './cells.js';
export type { CellKey, CompareOptions, CompareOutput, CompareProgressEvent, BaselineName, CompareRemoteOptions } from './options.js';
export { ALL_BASELINES } from './options.js';
import { ALL_BASELINES } from './options.js';

export async function compare(o: CompareOptions): Promise<CompareOutput> {
  validateCompareOptions(o);
  const output = outputOf(o);
  prepareOutputFolder(o.out, output);
  const task = loadTask(o);
  const baseModels = await fetchModels(o); // Hub models downloaded once, up front: the planners then find them in the cache
  const plan = planRun(o, task);
  const inputs = [o.train, o.test, ...(o.dev ? [o.dev] : [])];
  const files = inputs.every((x) => typeof x === 'string') ? (inputs as string[]) : undefined;
  return trackRun('compare', { ...runConfig(o, task, plan), baseModels }, files ?? [], [path.resolve(o.out)], (runId) => runPlan(o, task, plan, runId), runMetrics, {
    ...(o.registry !== undefined ? { registry: o.registry } : {}),
    ...(files ? {} : { inputHash: task.dataHash }),
    statusOf: (r) => (r.results.cells.some((c) => c.error) ? 'failed' : 'succeeded'),
    artifactsOf: (r) => [r.paths.json, r.paths.html, r.paths.markdown, plan.store.dir].map((p) => path.resolve(p)),
  });
}

/** The output folder's kind and the inputs it must never replace (data files, model folders). */
function outputOf(o: CompareOptions): OutputOptions {
  const inputs = [o.train, o.test, o.dev, o.distill, ...(o.ft ?? []), ...(o.icl ?? []).map((s) => s.slice(s.indexOf(':') + 1))];
  return { kind: 'compare', inputs: inputs.map((p) => (typeof p === 'string' ? p : undefined)) };
}

/** Every local model the run uses, as resolved (Hub id@commit, embedded name or folder), downloading Hub models first. */
async function fetchModels(o: CompareOptions): Promise<string[]> {
  const names = [...(o.ft ?? []), ...(o.icl ?? []).filter((s) => s.startsWith('builtin:')).map((s) => parseBackendSpec(s).model)];
  const out: string[] = [];
  for (const n of names) out.push(describeOrigin(await resolvePretrained(n, { quiet: !!o.quiet })));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Step 1: the task.

interface Task {
  train: { examples: Example[]; name: string };
  labels: string[];
  /** The scored test examples (a fixed subset with testLimit) and their gold labels. */
  test: Example[];
  gold: string[];
  testName: string;
  testTotal: number;
  dev?: Example[];
  /** Identity of the data, for cell hashes. */
  dataHash: string;
}

function loadTask(o: CompareOptions): Task {
  const trainSet = examplesOf(o.train, o.labels);
  const labels = o.labels ?? trainSet.labels;
  const testAll = examplesOf(o.test, labels);
  const dev = o.dev ? examplesOf(o.dev, labels).examples : undefined;
  const unknown = [...new Set(testAll.examples.map((e) => e.label ?? ''))].filter((l) => !labels.includes(l));
  if (unknown.length) throw new Error(`test labels not in the label set (${labels.join(', ')}): ${unknown.join(', ')}`);
  const test = o.testLimit !== undefined && o.testLimit < testAll.examples.length
    ? shuffle(testAll.examples, 0x7e57).slice(0, o.testLimit)
    : testAll.examples;
  const dataHash = sha([trainSet.examples.map((e) => [e.text, e.textPair ?? null, e.label]), test.map((e) => [e.text, e.textPair ?? null, e.label]), dev?.map((e) => [e.text, e.label]) ?? null, labels]);
  return {
    train: { examples: trainSet.examples, name: trainSet.name }, labels, test, gold: test.map((e) => e.label!),
    testName: testAll.name, testTotal: testAll.examples.length, ...(dev ? { dev } : {}), dataHash,
  };
}

// ---------------------------------------------------------------------------------------------
// Step 2: the plan: arms, budgets, seeds, cells, the metric.

interface RunPlan {
  arms: Arm[];
  budgets: Budget[];
  seeds: number[];
  cells: Array<{ key: CellKey; arm: Arm }>;
  metric: MetricChoice;
  latencySample: number;
  store: CellStore;
  notes: string[];
  command: string;
}

function planRun(o: CompareOptions, task: Task): RunPlan {
  const capped = capBudgets(o.budgets ?? [0, 4, 16, 64, 'all'], task.train.examples);
  const budgets = capped.budgets;
  if (capped.note && !o.quiet) process.stderr.write(`compare: ${capped.note}\n`);
  const seeds = typeof o.seeds === 'number' || o.seeds === undefined ? Array.from({ length: o.seeds ?? 3 }, (_, i) => i) : o.seeds;
  if ((o.icl ?? []).length + (o.ft ?? []).length + (o.ftRemote ?? []).length === 0) throw new Error('nothing to compare: give at least one ICL model (icl) or base model to fine-tune (ft, or ftRemote remotely)');
  if (seeds.length === 0) throw new Error('at least one seed');
  if (budgets.length === 0) throw new Error('at least one budget');
  for (const b of o.baselines ?? []) if (!ALL_BASELINES.includes(b)) throw new Error(`baselines: unknown baseline "${b}" (${ALL_BASELINES.join(', ')}, or none)`);
  const metric = chooseMetric(task.gold, task.labels, o.metric);
  const latencySample = Math.min(o.latencySample ?? 32, task.test.length);
  const ctx: ArmContext = {
    labels: task.labels, train: task.train.examples, test: task.test, ...(task.dev ? { dev: task.dev } : {}), options: o, latencySample,
    price: (keys) => {
      for (const k of keys) if (k !== undefined && o.prices?.[k] !== undefined) return o.prices[k];
      return undefined;
    },
  };
  const arms = ARM_PLANNERS.flatMap((plan) => plan(ctx));
  const cells = arms.flatMap((arm) => budgets.filter((b) => arm.runsAt(b)).flatMap((b) => seeds.map((s) => ({ key: { arm: arm.id, budget: b, seed: s }, arm }))));
  const methods = o.methods ?? ALL_METHODS;
  const command = o.command ?? `tuneshot compare --train ${task.train.name} --test ${task.testName}${(o.icl ?? []).map((s) => ` --icl ${s}`).join('')}${(o.ft ?? []).map((s) => ` --ft ${s}`).join('')}${(o.ftRemote ?? []).map((s) => ` --ft-remote ${s}`).join('')} --methods ${methods.join(',')}`
    + `${o.baselines ? ` --baselines ${o.baselines.length ? o.baselines.join(',') : 'none'}` : ''}${o.metric ? ` --metric ${o.metric}` : ''} --budgets ${budgets.join(',')} --seeds ${seeds.length} --out ${o.out}`;
  const notes = [
    `latency: fine-tuned models and baselines timed one query at a time (batch size 1) on ${latencySample} test examples; ICL timed per query (one prompt each) on every test example; sequential, wall clock`,
    `ICL: each demonstration and the query are cut to an equal share of the language model's context window (prefix kept), so k demonstrations and the query fit`,
    `zero-shot ICL (budget 0) does not depend on the seed: computed once a run and shared by every seed`,
    `FLOPs per query: 2 x parameters x tokens processed (forward pass; ICL counts prompt + label tokens); TF-IDF baseline: 2 x stored features x scored classes`,
    `baselines: majority = the most frequent label of the budget's pool (ties, as in every class-balanced pool, broken by the whole training set); TF-IDF + logistic regression trained on the same pool as fine-tuning, without randomness (L-BFGS from zero weights)`,
    `primary metric: ${metric.reason}`,
    ...(capped.note ? [capped.note] : []),
    ...arms.flatMap((a) => a.notes ?? []),
    ...(task.test.length < task.testTotal ? [`test subset: ${task.test.length} of ${task.testTotal} examples (fixed random sample)`] : []),
  ];
  return { arms, budgets, seeds, cells, metric, latencySample, store: new CellStore(o.out, sha({ data: task.dataHash, latencySample })), notes, command };
}

/** The run's configuration as recorded in the registry. */
function runConfig(o: CompareOptions, task: Task, plan: RunPlan): Record<string, unknown> {
  return {
    train: task.train.name, test: task.testName, dev: typeof o.dev === 'string' ? o.dev : o.dev ? '(in memory)' : null, labels: task.labels,
    icl: o.icl ?? [], ft: o.ft ?? [], ...(o.ftRemote?.length ? { ftRemote: o.ftRemote } : {}), methods: o.methods ?? ALL_METHODS, budgets: plan.budgets, seeds: plan.seeds,
    arms: Object.fromEntries(plan.arms.map((a) => [a.id, a.settings])), metric: plan.metric.name,
    testLimit: o.testLimit ?? null, out: path.resolve(o.out), command: plan.command,
  };
}

// ---------------------------------------------------------------------------------------------
// Step 3: the run: every cell, then results, advice and report.

async function runPlan(o: CompareOptions, task: Task, plan: RunPlan, runId: number | undefined): Promise<CompareOutput> {
  openOutputFolder(o.out, outputOf(o));
  const { cells, arms: infos, computed, reused } = await runCells(o, task, plan);
  const results = assembleResults(task, plan, cells, infos);
  const advice = advise(results, o.constraints ?? {});
  const paths = await writeReport(o.out, results, advice);
  return { results, advice, paths, computed, reused, notes: plan.notes, ...(runId !== undefined ? { runId } : {}) };
}

async function runCells(o: CompareOptions, task: Task, plan: RunPlan): Promise<{ cells: Cell[]; arms: Map<string, ArmInfo>; computed: CellKey[]; reused: CellKey[] }> {
  const total = plan.cells.length;
  const progress = new Progress({ total, label: 'compare', unit: 'q/s', quiet: o.quiet ?? false });
  progress.start(0);
  const infos = new Map<string, ArmInfo>();
  const cells: Cell[] = [];
  const computed: CellKey[] = [], reused: CellKey[] = [];
  const seedless = new Map<string, Cell>();
  const name = (key: CellKey) => `${key.arm} ${budgetKey(key.budget)}/${key.seed}`;
  const done = (index: number, key: CellKey, cell: Cell, wasReused: boolean) => {
    cells.push(cell);
    (wasReused ? reused : computed).push(key);
    progress.update(index + 1, { cell: name(key), acc: cell.error ? 'failed' : cell.metrics.accuracy, ...(wasReused ? { reused: 'yes' } : {}) });
    o.onProgress?.({ type: 'cell-done', cell: key, index, total, reused: wasReused, ...(cell.error ? { error: cell.error } : { accuracy: cell.metrics.accuracy }) });
  };
  try {
    // Arms that connect somewhere do it once, before any cell, when a cell of theirs is to be computed.
    for (const arm of plan.arms) {
      if (arm.prepare && plan.cells.some((c) => c.arm === arm && !plan.store.read(arm, c.key))) await arm.prepare();
    }
    for (let index = 0; index < total; index++) {
      const { key, arm } = plan.cells[index]!;
      o.onProgress?.({ type: 'cell-start', cell: key, index, total });
      const prior = plan.store.read(arm, key);
      if (prior) {
        if (!infos.has(key.arm)) infos.set(key.arm, prior.arm);
        done(index, key, prior.cell, true);
        continue;
      }
      const shared = arm.seedIndependent?.(key.budget) ? seedless.get(`${key.arm}\u0000${budgetKey(key.budget)}`) : undefined;
      if (shared) {
        const cell: Cell = { ...shared, seed: key.seed };
        plan.store.write(arm, infos.get(key.arm)!, cell);
        done(index, key, cell, false);
        continue;
      }
      o.beforeCell?.(key);
      const cell = await computeCell(o, task, arm, key, infos, plan.store, (d, t, delta) => {
        progress.update(index, { cell: name(key), q: `${d}/${t}` }, delta);
        o.onProgress?.({ type: 'query', cell: key, done: d, total: t });
      }, (status) => progress.update(index, { cell: name(key), status }));
      if (arm.seedIndependent?.(key.budget) && !cell.error) seedless.set(`${key.arm}\u0000${budgetKey(key.budget)}`, cell);
      done(index, key, cell, false);
    }
  } finally {
    progress.stop();
    for (const arm of plan.arms) await arm.dispose?.();
  }
  return { cells, arms: infos, computed, reused };
}

/** Runs one arm on one budget's pool; a failure becomes a failed cell (reported, left out of summaries), not a failed run. */
async function computeCell(
  o: CompareOptions, task: Task, arm: Arm, key: CellKey, infos: Map<string, ArmInfo>, store: CellStore,
  onQuery: (done: number, total: number, delta: number) => void,
  onStatus: (status: string) => void,
): Promise<Cell> {
  let last = 0;
  try {
    const pool = sampleBudget(task.train.examples, key.budget, key.seed);
    const r = await arm.run({ budget: key.budget, seed: key.seed, pool, onQuery: (d, t) => { onQuery(d, t, d - last); last = d; }, onStatus });
    const info = armInfo(arm, r);
    if (!infos.has(key.arm)) infos.set(key.arm, info);
    const cell: Cell = {
      arm: key.arm, budget: key.budget, seed: key.seed,
      metrics: metricsOf(task.gold, r.predictions, task.labels),
      predictions: r.predictions,
      train: r.train,
      inference: r.inference,
      ...(r.costPer1kQueriesUsd !== undefined ? { costPer1kQueriesUsd: r.costPer1kQueriesUsd } : {}),
      ...(r.oneOffCostUsd !== undefined ? { oneOffCostUsd: r.oneOffCostUsd } : {}),
      ...(r.remoteJob ? { remoteJob: r.remoteJob } : {}),
    };
    store.write(arm, info, cell);
    return cell;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (!o.quiet) process.stderr.write(`\ncompare: ${key.arm} at ${budgetKey(key.budget)}/class, seed ${key.seed} failed: ${msg}\n`);
    return failedCell(key, task.labels, msg);
  }
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

function failedCell(key: CellKey, labels: readonly string[], message: string): Cell {
  return {
    arm: key.arm, budget: key.budget, seed: key.seed,
    metrics: { accuracy: 0, macroF1: 0, perClassF1: {}, confusion: labels.map(() => labels.map(() => 0)) },
    predictions: [],
    train: { wallSeconds: 0, flops: 0 },
    inference: { p50Ms: 0, p95Ms: 0, tokensPerQuery: 0, flopsPerQuery: 0 },
    error: message,
  };
}

function assembleResults(task: Task, plan: RunPlan, cells: Cell[], infos: Map<string, ArmInfo>): CompareResults {
  return parseResults(withSummary({
    version: RESULTS_VERSION,
    task: { labels: task.labels, trainSize: task.train.examples.length, testSize: task.test.length, trainDataset: task.train.name, testDataset: task.testName, testGold: task.gold },
    metric: plan.metric,
    budgets: plan.budgets,
    seeds: plan.seeds,
    arms: plan.arms.map((a) => infos.get(a.id) ?? armInfo(a, { params: 0, modelSizeBytes: 0 })),
    cells,
    createdAt: new Date().toISOString(),
    commands: [plan.command],
    environment: environment(plan.notes),
  }));
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

/** What the registry keeps of a finished run. */
function runMetrics(r: CompareOutput): Record<string, unknown> {
  const { results, advice } = r;
  return {
    recommendation: advice.recommendation,
    ...(advice.arm ? { arm: advice.arm } : {}),
    ...(advice.budget !== undefined ? { budget: advice.budget } : {}),
    metric: results.metric.name,
    cells: results.cells.length, failedCells: results.cells.filter((c) => c.error).length, computedCells: r.computed.length, reusedCells: r.reused.length,
    summary: results.summary.map((s) => ({ arm: s.arm, budget: s.budget, mean: s.mean, meanAccuracy: s.meanAccuracy, meanMacroF1: s.meanMacroF1, p95Ms: s.p95Ms, ...(s.flag ? { flag: s.flag.kind } : {}) })),
  };
}
