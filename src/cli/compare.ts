// `tuneshot compare`: fine-tuning versus in-context learning at several labelled-data budgets and
// seeds, with the majority and TF-IDF baselines, scored on one test set; writes results.json, report.html and summary.md, prints the advice.
// Exits non-zero when a cell failed (the report is still written and says which).
import * as path from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import {
  compare, ALL_BASELINES, ALL_METHODS, formatAdvice, parseMetric,
  type BaselineName, type Budget, type CompareRemoteOptions, type Method, type RemoteHyperparameters, type SelectionMethod,
} from '../index.js';
import { RANGES, describeRange, inRange, type Range } from '../options/ranges.js';
import { checkRemoteBase } from '../options/validate.js';
import { commandLine, list, num, oneOf } from './args.js';
import { addConnectionOptions, connectionFrom, pollIntervalMs } from './remote-options.js';

interface CompareCliOptions {
  train: string;
  test: string;
  dev?: string;
  icl: string[];
  ft: string[];
  ftRemote: string[];
  remoteEpochs?: number;
  remoteBatchSize?: number;
  lrMultiplier?: number;
  suffix?: string;
  pollInterval: string;
  trainPrice: Record<string, number>;
  distill?: string;
  distillSize: number;
  baselines: BaselineName[];
  metric?: string;
  methods: Method[];
  budgets: Budget[];
  seeds: number;
  k: number;
  select: SelectionMethod;
  calibrate?: boolean;
  epochs?: number;
  batchSize: number;
  lr?: number;
  testLimit?: number;
  price: Record<string, number>;
  labels?: string[];
  out: string;
  quiet?: boolean;
}

function parseBudgets(v: string): Budget[] {
  const items = v.split(',').map((s) => s.trim()).filter((s) => s);
  if (items.length === 0) throw new InvalidArgumentError('Expected a comma-separated list of budgets.');
  return items.map((s) => {
    if (s === 'all') return 'all';
    const n = Number(s);
    if (!inRange(n, RANGES.budget)) throw new InvalidArgumentError(`Expected budgets that are each ${describeRange(RANGES.budget)} (examples a class) or "all", got "${s}".`);
    return n;
  });
}

function parseMethods(v: string): Method[] {
  const ms = list(v);
  for (const m of ms) if (!(ALL_METHODS as readonly string[]).includes(m)) throw new InvalidArgumentError(`Expected methods among ${ALL_METHODS.join(', ')}, got "${m}".`);
  return ms as Method[];
}

/** "none" or a comma-separated list of baselines. */
export function parseBaselines(v: string): BaselineName[] {
  if (v.trim() === 'none') return [];
  const bs = v.split(',').map((s) => s.trim()).filter((s) => s);
  if (bs.length === 0) throw new Error(`--baselines takes none or a list of ${ALL_BASELINES.join(', ')}, got "${v}"`);
  for (const b of bs) if (!(ALL_BASELINES as readonly string[]).includes(b)) throw new Error(`--baselines takes none or a list of ${ALL_BASELINES.join(', ')}, got "${b}"`);
  return bs as BaselineName[];
}

/** "key=usd", repeatable. */
function keyedPrice(v: string, acc: Record<string, number>, range: Range, expected: string): Record<string, number> {
  const i = v.lastIndexOf('=');
  const usd = Number(v.slice(i + 1));
  if (i <= 0 || v.slice(i + 1).trim() === '' || !inRange(usd, range)) throw new InvalidArgumentError(`Expected ${expected}, ${describeRange(range)}>, got "${v}".`);
  return { ...acc, [v.slice(0, i)]: usd };
}

/** USD per 1,000 tokens a query. */
function parsePrice(v: string, acc: Record<string, number> = {}): Record<string, number> {
  return keyedPrice(v, acc, RANGES.price, '<method|backend|model>=<USD per 1k tokens');
}

/** USD per million trained tokens of the remote arms. */
function parseTrainPrice(v: string, acc: Record<string, number> = {}): Record<string, number> {
  return keyedPrice(v, acc, RANGES.trainPrice, '<ft-remote|provider|provider:model|arm id>=<USD per 1M trained tokens');
}

/** One "<provider>:<model>" of --ft-remote, checked as the library checks it. */
function parseRemoteSpec(v: string, acc: string[] = []): string[] {
  try {
    checkRemoteBase('--ft-remote', v);
  } catch (e) {
    const m = (e as Error).message.replace(/^--ft-remote: /, '');
    throw new InvalidArgumentError(`${m[0]!.toUpperCase()}${m.slice(1)}`);
  }
  return [...acc, v];
}

/** Options of the remote arm, which mean nothing without --ft-remote. */
const REMOTE_ONLY = ['remoteEpochs', 'remoteBatchSize', 'lrMultiplier', 'suffix', 'pollInterval', 'trainPrice', 'baseUrl', 'apiKey', 'maxRetries'];
const flag = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

function remoteOptions(o: CompareCliOptions & Record<string, unknown>): CompareRemoteOptions {
  const hyperparameters: RemoteHyperparameters = {
    ...(o.remoteEpochs !== undefined ? { n_epochs: o.remoteEpochs } : {}),
    ...(o.remoteBatchSize !== undefined ? { batch_size: o.remoteBatchSize } : {}),
    ...(o.lrMultiplier !== undefined ? { learning_rate_multiplier: o.lrMultiplier } : {}),
  };
  return { connection: connectionFrom(o), hyperparameters, ...(o.suffix !== undefined ? { suffix: o.suffix } : {}), pollIntervalMs: pollIntervalMs(o.pollInterval) };
}

export function registerCompare(program: Command): void {
  const cmd = program
    .command('compare')
    .description('measure fine-tuning against in-context learning on your data, at several label budgets and seeds')
    .requiredOption('--train <file>', 'labelled training examples (JSONL or CSV); budgets are drawn from it')
    .requiredOption('--test <file>', 'labelled test examples every method is scored on')
    .option('--dev <file>', 'dev set for fine-tuning')
    .option('--icl <backend:model...>', 'ICL language models, e.g. builtin:tuneshot-base-lm, builtin:Qwen/Qwen2.5-0.5B-Instruct, llamacpp:/path.gguf, openai:gpt-4o-mini', [])
    .option('--ft <model...>', 'base models to fine-tune (folders, tuneshot-base-encoder or Hub ids)', [])
    .option('--ft-remote <provider:model...>', 'base models to fine-tune remotely through the provider\'s fine-tuning jobs API, one job a budget and seed (finished jobs for the same data and hyperparameters reused), e.g. openai:gpt-4o-mini', parseRemoteSpec, [])
    .option('--distill <pool.jsonl>', 'unlabelled texts (JSONL or CSV) for the distilled arm: the first --icl model labels them with each budget\'s demonstrations, the first --ft model learns from its labels')
    .option('--distill-size <n>', 'pool texts the teacher labels a budget and seed', num('distillSize'), 1000)
    .option('--methods <list>', 'fine-tuning methods', parseMethods, [...ALL_METHODS])
    .option('--baselines <list>', `baselines beside the learned arms: none, or a list of ${ALL_BASELINES.join(', ')}`, parseBaselines, [...ALL_BASELINES])
    .option('--metric <name>', 'primary metric for the advice and charts: accuracy, macro-f1 or f1:<label> (default: accuracy on balanced test labels, macro-F1 when one label holds over 60%)', (v: string) => parseMetric(v))
    .option('--budgets <list>', 'examples a class (0 = zero-shot ICL, all = whole training set; budgets above the largest class run as all)', parseBudgets, [0, 4, 16, 64, 'all'] as Budget[])
    .option('--seeds <n>', 'seeds a budget (each draws its own examples)', num('seeds'), 3)
    .option('--k <n>', 'ICL demonstrations a prompt', num('k'), 4)
    .option('--select <method>', 'ICL demonstration selection: random, balanced or knn', oneOf(['random', 'balanced', 'knn'] as const), 'balanced')
    .option('--calibrate', 'ICL contextual calibration')
    .option('--epochs <n>', 'fine-tuning epochs (default head 10, lora 5, full 5)', num('epochs'))
    .option('--batch-size <n>', 'fine-tuning batch size', num('batchSize'), 8)
    .option('--lr <x>', 'fine-tuning learning rate (default per method)', num('lr'))
    .option('--test-limit <n>', 'score a fixed random subset of this many test examples', num('testLimit'))
    .option('--price <key=usd>', 'USD per 1k tokens for an arm id, backend, model, fine-tuning method or kind (icl, ft, baseline) (repeatable)', parsePrice, {})
    .option('--train-price <key=usd>', 'remote: USD per million trained tokens for an --ft-remote arm id, base model (openai:gpt-4o-mini), provider (openai) or ft-remote (repeatable); the one-off cost', parseTrainPrice, {})
    .option('--remote-epochs <n>', 'remote: n_epochs of every job (default: the provider\'s choice)', num('remoteEpochs'))
    .option('--remote-batch-size <n>', 'remote: batch_size of every job (default: the provider\'s choice)', num('remoteBatchSize'))
    .option('--lr-multiplier <x>', 'remote: learning_rate_multiplier of every job (default: the provider\'s choice)', num('lrMultiplier'))
    .option('--suffix <text>', 'remote: part of every fine-tuned model\'s name (up to 64 characters)')
    .option('--poll-interval <seconds>', 'remote: seconds between status polls of a running job', '5')
    .option('--labels <list>', 'closed label set (comma-separated; default: labels of the training set)', list)
    .requiredOption('--out <folder>', 'output folder (results.json, report.html, summary.md, cells/); an earlier compare folder is continued')
    .option('--quiet', 'no progress output');
  // --base-url, --api-key, --max-retries: the remote arms' provider (ICL openai: arms read OPENAI_BASE_URL and OPENAI_API_KEY).
  addConnectionOptions(cmd, { azure: false, prefix: 'remote: ' });
  cmd.hook('preAction', (_, action) => {
    if (action.opts()['ftRemote']?.length) return;
    const stray = REMOTE_ONLY.find((k) => action.getOptionValueSource(k) === 'cli');
    if (stray) throw new Error(`${flag(stray)} needs --ft-remote`);
  });
  cmd
    .action(async (o: CompareCliOptions & Record<string, unknown>) => {
      if (o.icl.length === 0 && o.ft.length === 0 && o.ftRemote.length === 0) throw new Error('give at least one --icl model, --ft base model or --ft-remote base model');
      if (o.distill && (o.icl.length === 0 || o.ft.length === 0)) throw new Error('--distill needs an --icl model (the teacher) and an --ft base model (the student)');
      const r = await compare({
        train: o.train, test: o.test, ...(o.dev ? { dev: o.dev } : {}), ...(o.labels ? { labels: o.labels } : {}),
        icl: o.icl, ft: o.ft, ...(o.ftRemote.length ? { ftRemote: o.ftRemote, remote: remoteOptions(o) } : {}),
        ...(Object.keys(o.trainPrice).length ? { trainPrices: o.trainPrice } : {}), ...(o.distill ? { distill: o.distill, distillSize: o.distillSize } : {}), methods: o.methods, baselines: o.baselines, ...(o.metric ? { metric: o.metric } : {}), budgets: o.budgets, seeds: o.seeds, k: o.k, select: o.select, calibrate: !!o.calibrate,
        ...(o.epochs !== undefined ? { epochs: { full: o.epochs, lora: o.epochs, head: o.epochs } } : {}),
        batchSize: o.batchSize, ...(o.lr !== undefined ? { lr: o.lr } : {}), ...(o.testLimit !== undefined ? { testLimit: o.testLimit } : {}),
        ...(Object.keys(o.price).length ? { prices: o.price } : {}),
        out: o.out, quiet: !!o.quiet, command: commandLine(),
      });
      const failed = r.results.cells.filter((c) => c.error).length;
      console.log(`${r.results.cells.length} cells (${r.computed.length} computed, ${r.reused.length} reused${failed ? `, ${failed} failed` : ''})${r.runId !== undefined ? `, run ${r.runId}` : ''}`);
      const jobs = r.results.cells.flatMap((c) => (c.remoteJob && r.computed.some((k) => k.arm === c.arm && k.budget === c.budget && k.seed === c.seed) ? [c.remoteJob] : []));
      if (jobs.length) console.log(`remote fine-tuning: ${jobs.filter((j) => !j.reused).length} jobs trained, ${jobs.filter((j) => j.reused).length} finished jobs reused (models in ${path.resolve(r.paths.json)})`);
      console.log(formatAdvice(r.advice).trimEnd());
      console.log(`report: ${path.resolve(r.paths.html)}`);
      if (failed) {
        console.error(`tuneshot: ${failed} of ${r.results.cells.length} cells failed (their errors are in ${path.resolve(r.paths.json)}); a rerun with the same --out recomputes only those`);
        process.exitCode = 1;
      }
    });
}
