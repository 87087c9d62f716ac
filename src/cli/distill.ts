// `tuneshot distill`: an in-context learning teacher labels an unlabelled pool, a fine-tuned student
// learns from its labels. Writes <out>/student (a model folder predict and serve take),
// <out>/labelled.jsonl and <out>/summary.json, and prints the summary.
import * as path from 'node:path';
import type { Command } from 'commander';
import {
  builtinDataset, distill, formatDistillSummary as formatSummary, listBackends, loadExamples, loadPromptProgram, parseBackendSpec, sampleBudget, shuffle,
  type DistillOptions, type SelectionMethod,
} from '../index.js';
import { Progress } from '../util/progress.js';
import { num } from './args.js';

const SELECTIONS: SelectionMethod[] = ['random', 'balanced', 'knn'];

/** Range checks that name the option (the library checks again, naming its own fields). */
function checkOptions(o: Record<string, unknown>): void {
  const positive = (flag: string, v: unknown) => {
    if (v !== undefined && !((v as number) >= 1)) throw new Error(`${flag} must be at least 1, got ${v}`);
  };
  positive('--size', o.size);
  positive('--per-class', o.perClass);
  positive('--concurrency', o.concurrency);
  positive('--epochs', o.epochs);
  positive('--batch-size', o.batchSize);
  positive('--max-length', o.maxLength);
  if ((o.k as number) < 0) throw new Error(`--k must be 0 or more, got ${o.k}`);
  if (o.holdout !== undefined && (o.holdout as number) < 0) throw new Error(`--holdout must be 0 or more, got ${o.holdout}`);
  if (o.minConfidence !== undefined && !((o.minConfidence as number) >= 0 && (o.minConfidence as number) <= 1)) throw new Error(`--min-confidence must be between 0 and 1, got ${o.minConfidence}`);
  if (o.maxImbalance !== undefined && !((o.maxImbalance as number) === 0 || (o.maxImbalance as number) >= 1)) throw new Error(`--max-imbalance must be 0 (no cap) or at least 1, got ${o.maxImbalance}`);
  if (o.price !== undefined && !((o.price as number) >= 0)) throw new Error(`--price must be 0 or more (USD per million teacher tokens), got ${o.price}`);
  if (o.lr !== undefined && !((o.lr as number) > 0)) throw new Error(`--lr must be positive, got ${o.lr}`);
  if (!SELECTIONS.includes(o.select as SelectionMethod)) throw new Error(`--select must be one of ${SELECTIONS.join(', ')}, got "${o.select}"`);
  if (o.scoring !== 'sum' && o.scoring !== 'mean') throw new Error(`--scoring must be sum or mean, got "${o.scoring}"`);
  if (!['full', 'lora', 'head'].includes(o.method as string)) throw new Error(`--method must be full, lora or head, got "${o.method}"`);
  if (o.pooling !== undefined && o.pooling !== 'cls' && o.pooling !== 'mean') throw new Error(`--pooling must be cls or mean, got "${o.pooling}"`);
}

/** Labelling progress (step, rate, ETA) on a terminal: the pool first, then the test set. */
function teacherProgress(quiet: boolean): { onProgress: DistillOptions['onProgress']; stop: () => void } {
  let bar: Progress | undefined, phase = '';
  return {
    onProgress: (p, done, total) => {
      if (p !== phase) {
        bar?.stop();
        phase = p;
        bar = new Progress({ total, label: p === 'label' ? 'teacher labels pool' : 'teacher on test set', unit: 'ex/s', quiet });
        bar.start();
      }
      bar!.update(done, {}, 1);
      if (done === total) { bar!.stop(); bar = undefined; }
    },
    stop: () => bar?.stop(),
  };
}

export function registerDistill(program: Command): void {
  program
    .command('distill')
    .description('an in-context learning teacher labels unlabelled text; a small model fine-tuned on its labels serves it')
    .requiredOption('--teacher <backend:model>', 'teacher language model: openai:<model>, llamacpp:/path.gguf or builtin:<folder>')
    .requiredOption('--demos <file>', 'labelled demonstrations (JSONL or CSV): the teacher\'s examples and student training data')
    .requiredOption('--pool <file>', 'unlabelled texts the teacher labels (JSONL or CSV; a label field is ignored)')
    .requiredOption('--out <folder>', 'output folder: student/ (the model), labelled.jsonl, summary.json')
    .option('--student <model>', 'model to fine-tune (folder or embedded name)', 'tuneshot-base-encoder')
    .option('--method <method>', 'student fine-tuning: full, lora or head', 'full')
    .option('--soft', 'train on the teacher\'s probabilities (soft labels) instead of its labels')
    .option('--size <n>', 'pool texts to label, drawn at random (default: all)', num('distillSize'))
    .option('--holdout <n>', 'labelled pool texts held out to measure student-teacher agreement (default 10%, at most 200)', num('holdout'))
    .option('--min-confidence <p>', 'keep pool texts whose teacher label has at least this probability (0-1)', num('minConfidence'))
    .option('--per-class <n>', 'keep at most this many pool texts a class, the most confident', num('limit'))
    .option('--max-imbalance <x>', 'no class keeps more than x times the smallest class (0 = no cap)', num('maxImbalance'), 5)
    .option('--test <file>', 'labelled test set: teacher and student accuracy and macro-F1 with 95% intervals')
    .option('--price <usd>', 'USD per million teacher tokens, for the labelling cost', num('price'))
    .option('--program <prompt.json>', 'a saved prompt program (tuneshot icl --save-program) instead of the options below')
    .option('--k <n>', 'demonstrations a prompt', num('k'), 8)
    .option('--select <method>', 'demonstration selection: random, balanced or knn', 'balanced')
    .option('--calibrate', 'contextual calibration of the teacher\'s probabilities')
    .option('--scoring <kind>', 'label score: sum or mean of token log-probabilities', 'sum')
    .option('--instruction <text>', 'instruction placed before the demonstrations')
    .option('--no-cache', 'do not read or write the response cache (an interrupted run then pays again)')
    .option('--base-url <url>', 'openai teacher: server URL including /v1 (default $OPENAI_BASE_URL)')
    .option('--api-key <key>', 'openai teacher: API key (default $OPENAI_API_KEY)')
    .option('--concurrency <n>', 'texts the teacher labels at once', num('concurrency'), 4)
    .option('--epochs <n>', 'student epochs', num('epochs'), 3)
    .option('--batch-size <n>', 'student examples a step', num('batchSize'), 16)
    .option('--lr <x>', 'student peak learning rate (default by method)', num('lr'))
    .option('--pooling <kind>', 'student pooling: cls or mean (encoders)')
    .option('--max-length <n>', 'student tokens an input', num('maxLength'), 128)
    .option('--text-field <name>', 'field holding the text', 'text')
    .option('--label-field <name>', 'field holding the label (demos and test)', 'label')
    .option('--seed <n>', 'random seed', num('seed'), 0)
    .option('--quiet', 'no progress output')
    .action(async (o) => {
      checkOptions(o);
      const promptProgram = o.program ? await loadPromptProgram(o.program).catch((e: Error) => { throw new Error(`${o.program}: ${e.message}`); }) : undefined;
      const progress = teacherProgress(!!o.quiet);
      try {
        const r = await distill({
          teacher: o.teacher,
          backendOptions: { ...(o.baseUrl ? { baseURL: o.baseUrl } : {}), ...(o.apiKey ? { apiKey: o.apiKey } : {}) },
          ...(promptProgram ? { program: promptProgram } : {}),
          k: o.k, select: o.select, calibrate: !!o.calibrate, scoring: o.scoring, concurrency: o.concurrency, cache: o.cache !== false,
          ...(o.instruction !== undefined ? { instruction: o.instruction } : {}),
          demos: o.demos, pool: o.pool, ...(o.test ? { test: o.test } : {}),
          fields: { textField: o.textField, labelField: o.labelField },
          ...(o.size !== undefined ? { size: o.size } : {}), ...(o.holdout !== undefined ? { holdout: o.holdout } : {}),
          ...(o.minConfidence !== undefined ? { minConfidence: o.minConfidence } : {}), ...(o.perClass !== undefined ? { perClass: o.perClass } : {}),
          maxImbalance: o.maxImbalance, soft: !!o.soft, ...(o.price !== undefined ? { price: o.price } : {}),
          student: {
            model: o.student, method: o.method, epochs: o.epochs, batchSize: o.batchSize, maxLength: o.maxLength,
            ...(o.lr !== undefined ? { lr: o.lr } : {}), ...(o.pooling ? { pooling: o.pooling } : {}),
          },
          out: o.out, seed: o.seed, quiet: !!o.quiet, onProgress: progress.onProgress,
        });
        console.log(formatSummary(r.summary));
        console.log(`student: ${r.paths!.student}; labelled pool: ${r.paths!.labelled}; summary: ${r.paths!.summary}`);
      } finally {
        progress.stop();
      }
    });
}

/** What the demo's distillation labels and scores: sized to add a minute or two with a local or remote teacher. */
export const DEMO_DISTILL = { perClass: 8, pool: 400, k: 4 };

/**
 * The demo's distillation step on the built-in spam data: the teacher sees 8 labelled emails a class,
 * labels up to 400 other training emails (their labels unused), and the fine-tuned model learns
 * from its labels (head-only); both are scored on the test emails compare scored.
 */
export async function demoDistill(o: { teacher: string; student: string; out: string; testLimit: number; quiet: boolean }): Promise<string> {
  const ds = builtinDataset('spam');
  const train = loadExamples(ds.train, { task: 'classify', labels: ds.labels }).examples;
  const demos = sampleBudget(train, DEMO_DISTILL.perClass, 0);
  const pool = shuffle(train.filter((e) => !demos.includes(e)), 0).slice(0, DEMO_DISTILL.pool).map((e) => ({ text: e.text }));
  // The same fixed subset compare scores (its seed 0x7e57).
  const test = shuffle(loadExamples(ds.test, { task: 'classify', labels: ds.labels }).examples, 0x7e57).slice(0, o.testLimit);
  const progress = teacherProgress(o.quiet);
  try {
    const r = await distill({
      teacher: o.teacher, k: DEMO_DISTILL.k, calibrate: true, demos, pool, test, labels: ds.labels,
      student: { model: o.student, method: 'head', epochs: 10, batchSize: 8 }, out: path.join(o.out, 'distill'), quiet: o.quiet,
      onProgress: progress.onProgress,
    });
    return `${formatSummary(r.summary)}
student model: ${r.paths!.student}`;
  } finally {
    progress.stop();
  }
}

/** A teacher spec's form and backend, checked before the demo spends minutes on compare. */
export function checkTeacherSpec(spec: string): void {
  const { backend } = parseBackendSpec(spec);
  if (!listBackends().includes(backend)) throw new Error(`--teacher: unknown backend "${backend}" (known: ${listBackends().join(', ')})`);
}

/** The demo's one line when no teacher is given. */
export const DEMO_DISTILL_HINT =
  'Distillation (an in-context learning teacher labels unlabelled emails; a small fine-tuned model serves its labels): ' +
  'add --teacher openai:<model> (with OPENAI_BASE_URL / OPENAI_API_KEY) or --teacher llamacpp:/path/model.gguf to see it.';
