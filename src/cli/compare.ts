// `tuneshot compare`: fine-tuning versus in-context learning (and the majority and TF-IDF
// baselines) at several labelled-data budgets and seeds, scored on one test set; writes
// results.json, report.html and summary.md, prints the advice.
import * as path from 'node:path';
import type { Command } from 'commander';
import { compare, ALL_BASELINES, type BaselineName } from '../compare/compare.js';
import { parseMetric } from '../eval/metric.js';
import { ALL_METHODS, type Method } from '../train/methods/index.js';
import { formatAdvice } from '../advise/advise.js';
import type { Budget } from '../eval/results.js';
import { commandLine, float, int } from './main.js';

export function parseBudgets(v: string): Budget[] {
  return v.split(',').map((s) => s.trim()).filter((s) => s).map((s) => {
    if (s === 'all') return 'all';
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0) throw new Error(`budgets are non-negative integers (examples a class) or "all", got "${s}"`);
    return n;
  });
}

export function parseMethods(v: string): Method[] {
  const ms = v.split(',').map((s) => s.trim()).filter((s) => s);
  for (const m of ms) if (!(ALL_METHODS as readonly string[]).includes(m)) throw new Error(`--methods takes ${ALL_METHODS.join(', ')}, got "${m}"`);
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

/** "key=usd" (USD per 1,000 tokens), repeatable. */
export function parsePrice(v: string, acc: Record<string, number> = {}): Record<string, number> {
  const i = v.lastIndexOf('=');
  const usd = Number(v.slice(i + 1));
  if (i <= 0 || !Number.isFinite(usd) || usd < 0) throw new Error(`--price takes <method|backend|model>=<USD per 1k tokens>, got "${v}"`);
  return { ...acc, [v.slice(0, i)]: usd };
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('measure fine-tuning against in-context learning on your data, at several label budgets and seeds')
    .requiredOption('--train <file>', 'labelled training examples (JSONL or CSV); budgets are drawn from it')
    .requiredOption('--test <file>', 'labelled test examples every method is scored on')
    .option('--dev <file>', 'dev set for fine-tuning')
    .option('--icl <backend:model...>', 'ICL language models, e.g. builtin:tuneshot-base-lm, builtin:Qwen/Qwen2.5-0.5B-Instruct, llamacpp:/path.gguf, openai:gpt-4o-mini', [])
    .option('--ft <model...>', 'base models to fine-tune (folders, tuneshot-base-encoder or Hub ids)', [])
    .option('--distill <pool.jsonl>', 'unlabelled texts (JSONL or CSV) for the distilled arm: the first --icl model labels them with each budget\'s demonstrations, the first --ft model learns from its labels')
    .option('--distill-size <n>', 'pool texts the teacher labels a budget and seed', int, 1000)
    .option('--methods <list>', 'fine-tuning methods', parseMethods, [...ALL_METHODS])
    .option('--baselines <list>', `baselines beside the learned arms: none, or a list of ${ALL_BASELINES.join(', ')}`, parseBaselines, [...ALL_BASELINES])
    .option('--metric <name>', 'primary metric for the advice and charts: accuracy, macro-f1 or f1:<label> (default: accuracy on balanced test labels, macro-F1 when one label holds over 60%)', (v: string) => parseMetric(v))
    .option('--budgets <list>', 'examples a class (0 = zero-shot ICL, all = whole training set)', parseBudgets, [0, 4, 16, 64, 'all'] as Budget[])
    .option('--seeds <n>', 'seeds a budget (each draws its own examples)', int, 3)
    .option('--k <n>', 'ICL demonstrations a prompt', int, 4)
    .option('--select <method>', 'ICL demonstration selection: random, balanced or knn', 'balanced')
    .option('--calibrate', 'ICL contextual calibration')
    .option('--epochs <n>', 'fine-tuning epochs (default head 10, lora 5, full 5)', int)
    .option('--batch-size <n>', 'fine-tuning batch size', int, 8)
    .option('--lr <x>', 'fine-tuning learning rate (default per method)', float)
    .option('--test-limit <n>', 'score a fixed random subset of this many test examples', int)
    .option('--price <key=usd>', 'USD per 1k tokens for an arm id, backend, model, fine-tuning method or kind (icl, ft, baseline) (repeatable)', parsePrice, {})
    .option('--labels <list>', 'closed label set (comma-separated; default: labels of the training set)')
    .requiredOption('--out <folder>', 'output folder (results.json, report.html, summary.md, cells/)')
    .option('--quiet', 'no progress output')
    .action(async (o) => {
      if (o.icl.length === 0 && o.ft.length === 0) throw new Error('give at least one --icl model or --ft base model');
      if (!Number.isInteger(o.distillSize) || o.distillSize < 1) throw new Error(`--distill-size must be a positive integer, got ${o.distillSize}`);
      if (o.distill && (o.icl.length === 0 || o.ft.length === 0)) throw new Error('--distill needs an --icl model (the teacher) and an --ft base model (the student)');
      if (!['random', 'balanced', 'knn'].includes(o.select)) throw new Error(`--select must be random, balanced or knn, got "${o.select}"`);
      const r = await compare({
        train: o.train, test: o.test, ...(o.dev ? { dev: o.dev } : {}), ...(o.labels ? { labels: String(o.labels).split(',') } : {}),
        icl: o.icl, ft: o.ft, ...(o.distill ? { distill: o.distill, distillSize: o.distillSize } : {}), methods: o.methods, baselines: o.baselines, ...(o.metric ? { metric: o.metric } : {}), budgets: o.budgets, seeds: o.seeds, k: o.k, select: o.select, calibrate: !!o.calibrate,
        ...(o.epochs !== undefined ? { epochs: { full: o.epochs, lora: o.epochs, head: o.epochs } } : {}),
        batchSize: o.batchSize, ...(o.lr !== undefined ? { lr: o.lr } : {}), ...(o.testLimit !== undefined ? { testLimit: o.testLimit } : {}),
        ...(Object.keys(o.price).length ? { prices: o.price } : {}),
        out: o.out, quiet: !!o.quiet, command: commandLine(),
      });
      const failed = r.results.cells.filter((c) => c.error).length;
      console.log(`${r.results.cells.length} cells (${r.computed.length} computed, ${r.reused.length} reused${failed ? `, ${failed} failed` : ''})${r.runId !== undefined ? `, run ${r.runId}` : ''}`);
      console.log(formatAdvice(r.advice).trimEnd());
      console.log(`report: ${path.resolve(r.paths.html)}`);
    });
}
