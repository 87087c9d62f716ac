// Distillation: an in-context learning teacher labels an unlabelled pool, the labels are filtered,
// and a small model is fine-tuned on them (hard labels, or the teacher's distribution with `soft`)
// plus the gold demonstrations. The student is a normal fine-tuned classifier (predict and serve
// take its folder). The one library entry point; `tuneshot distill` and compare's distilled arm
// are thin layers over it.
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { DataError, loadExamples, type Example, type LoadOptions } from '../data/dataset.js';
import { shuffle } from '../data/random.js';
import type { TransformerModel } from '../models/model.js';
import type { PredictInput } from '../predictor.js';
import { writeFileAtomicSync as writeFileAtomic, writeJsonlAtomic } from '../io/atomic.js';
import type { FineTunedClassifier } from '../train/adapted.js';
import { finetune, type FinetuneOptions, type FinetuneResult } from '../train/finetune.js';
import { ALL_METHODS, type Method } from '../train/methods/index.js';
import { checkFilterOptions, filterLabelled, type LabelledItem } from './filter.js';
import { agreementWithTeacher, scoreWithIntervals, tokenCost, type DistillSummary } from './summary.js';
import { openTeacher, type TeacherOptions, type TeacherUsage } from './teacher.js';

/** The student: any model `finetune` takes, any method, and its training settings. */
export type StudentOptions = Omit<FinetuneOptions, 'model' | 'method' | 'train' | 'dev' | 'task' | 'labels' | 'out' | 'fields' | 'seed' | 'quiet'> & {
  model: string | TransformerModel;
  method?: Method;
};

export interface DistillOptions extends TeacherOptions {
  /** Gold labelled examples: the teacher's demonstrations, and student training data too. */
  demos: string | Example[];
  /** Unlabelled texts (JSONL or CSV; a label field, if any, is ignored). */
  pool: string | Example[];
  /** Closed label set (default: the program's labels, else the demonstrations' labels). */
  labels?: string[];
  /** Pool texts the teacher labels, drawn at random by seed (default: the whole pool). */
  size?: number;
  /** Labelled pool items held out of training to measure student–teacher agreement (default: 10%, at most 200). */
  holdout?: number;
  minConfidence?: number;
  perClass?: number;
  maxImbalance?: number;
  /** Train on the teacher's probabilities (cross-entropy to its distribution) instead of its labels. */
  soft?: boolean;
  student: StudentOptions;
  /** Labelled test set: teacher and student accuracy and macro-F1 with 95% intervals. */
  test?: string | Example[];
  /** USD per million teacher tokens, for the cost in the summary. */
  price?: number;
  /** Output folder: student/ (the model), labelled.jsonl, summary.json. */
  out?: string;
  /** Field names for file inputs. */
  fields?: Pick<LoadOptions, 'textField' | 'textPairField' | 'labelField'>;
  seed?: number;
  /** No progress output from training. */
  quiet?: boolean;
  /** Teacher progress: labelling the pool, then the test set. */
  onProgress?: (phase: 'label' | 'test', done: number, total: number) => void;
}

export interface DistillPaths {
  dir: string;
  student: string;
  labelled: string;
  summary: string;
}

export interface DistillResult {
  student: FineTunedClassifier;
  finetune: FinetuneResult;
  /** Every labelled pool item with the teacher's probabilities and its split. */
  labelled: LabelledItem[];
  summary: DistillSummary;
  paths?: DistillPaths;
}

/** Marks a folder as written by `distill`, so a rerun may replace what is in it and nothing else. */
const MARKER = '.tuneshot-distill';

/** Pool texts only: reading a nonexistent label field keeps any label column out of it. */
export function loadPool(file: string, fields: DistillOptions['fields'] = {}): Example[] {
  return loadExamples(file, {
    task: 'classify', labelOptional: true, labelField: '\u0000no label',
    ...(fields.textField ? { textField: fields.textField } : {}), ...(fields.textPairField ? { textPairField: fields.textPairField } : {}),
  }).examples;
}

function checkOptions(o: DistillOptions): void {
  const posInt = (v: number | undefined, name: string) => {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  };
  posInt(o.size, 'size');
  checkFilterOptions(o);
  if (o.price !== undefined && !(o.price >= 0 && Number.isFinite(o.price))) throw new RangeError(`price must be a non-negative number of USD per million tokens, got ${o.price}`);
  if (!o.student?.model) throw new RangeError('student.model is required (a model folder or an embedded model name)');
  if (o.student.method !== undefined && !(ALL_METHODS as readonly string[]).includes(o.student.method)) throw new RangeError(`student method must be full, lora or head, got "${o.student.method}"`);
}

/** Refuse a folder that holds anything `distill` did not write; create and mark it otherwise. */
function prepareOut(dir: string): DistillPaths {
  const abs = path.resolve(dir);
  if (existsSync(abs)) {
    if (!statSync(abs).isDirectory()) throw new Error(`${dir}: exists and is not a folder; choose another --out`);
    const entries = readdirSync(abs);
    if (entries.length > 0 && !entries.includes(MARKER)) {
      throw new Error(`${dir}: exists and was not written by tuneshot distill (holds ${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', ...' : ''}); choose another --out`);
    }
  }
  mkdirSync(abs, { recursive: true });
  writeFileSync(path.join(abs, MARKER), 'written by tuneshot distill: a rerun may replace student/, labelled.jsonl and summary.json here\n');
  return { dir: abs, student: path.join(abs, 'student'), labelled: path.join(abs, 'labelled.jsonl'), summary: path.join(abs, 'summary.json') };
}

const input = (e: { text: string; textPair?: string }): PredictInput => ({ text: e.text, ...(e.textPair !== undefined ? { textPair: e.textPair } : {}) });

export async function distill(o: DistillOptions): Promise<DistillResult> {
  const started = performance.now();
  checkOptions(o);
  const seed = o.seed ?? 0;
  const fields = o.fields ?? {};
  // Read and check every input before any model is loaded or file written.
  if (o.labels && o.program && JSON.stringify(o.labels) !== JSON.stringify(o.program.labels)) {
    throw new RangeError(`labels ${JSON.stringify(o.labels)} differ from the prompt program's ${JSON.stringify(o.program.labels)}`);
  }
  const givenLabels = o.labels ?? o.program?.labels;
  const demos = typeof o.demos === 'string'
    ? loadExamples(o.demos, { task: 'classify', ...fields, ...(givenLabels ? { labels: givenLabels } : {}) }).examples
    : o.demos;
  const labels = givenLabels ? [...givenLabels] : [...new Set(demos.map((d) => d.label!))].sort();
  if (labels.length < 2) throw new Error(`distillation needs at least two labels, found ${JSON.stringify(labels)}${typeof o.demos === 'string' ? ` in ${o.demos}` : ''}`);
  demos.forEach((d, i) => {
    if (!d.label || !labels.includes(d.label)) throw new DataError(typeof o.demos === 'string' ? o.demos : 'demos', i + 1, 'label', `label ${JSON.stringify(d.label)} is not in the label set ${JSON.stringify(labels)}`);
  });
  const pool = typeof o.pool === 'string' ? loadPool(o.pool, fields) : o.pool.map(input);
  if (pool.length === 0) throw new Error('the pool is empty');
  const test = o.test === undefined ? undefined
    : typeof o.test === 'string' ? loadExamples(o.test, { task: 'classify', ...fields, labels }).examples : o.test;
  if (test) test.forEach((e, i) => {
    if (!e.label || !labels.includes(e.label)) throw new DataError(typeof o.test === 'string' ? o.test : 'test', i + 1, 'label', `label ${JSON.stringify(e.label)} is not in the label set ${JSON.stringify(labels)}`);
  });

  // The texts to label: all, or `size` of them at random (in pool order).
  const chosen = o.size !== undefined && o.size < pool.length
    ? shuffle(pool.map((_, i) => i), seed).slice(0, o.size).sort((a, b) => a - b).map((i) => pool[i]!)
    : pool;
  const warnings: string[] = [];
  if (test) {
    const inTest = new Set(test.map((e) => e.text));
    const leaked = chosen.filter((e) => inTest.has(e.text)).length;
    if (leaked) warnings.push(`${leaked} pool texts are also in the test set: the student trains on test texts (labelled by the teacher)`);
  }

  // The teacher opens (and a bad spec or backend fails) before the output folder is made.
  const teacher = await openTeacher({ ...o, labels, demos, seed });
  try {
    const paths = o.out ? prepareOut(o.out) : undefined;
    const labelled = await teacher.label(chosen.map(input), (d, n) => o.onProgress?.('label', d, n));
    const usage = teacher.usage();
    const labelSeconds = usage.seconds;
    const holdout = o.holdout ?? Math.min(200, Math.floor(labelled.length / 10));
    const filtered = filterLabelled(labelled.map((l, i) => ({ text: chosen[i]!.text, ...(chosen[i]!.textPair !== undefined ? { textPair: chosen[i]!.textPair } : {}), ...l })), labels, {
      holdout, seed, ...(o.minConfidence !== undefined ? { minConfidence: o.minConfidence } : {}),
      ...(o.perClass !== undefined ? { perClass: o.perClass } : {}), ...(o.maxImbalance !== undefined ? { maxImbalance: o.maxImbalance } : {}),
    });
    if (paths) writeJsonlAtomic(paths.labelled, filtered.items);
    if (filtered.kept === 0) {
      throw new Error(`no teacher-labelled pool text passed the filter (${labelled.length} labelled, ${filtered.heldOut} held out, ${filtered.dropped.confidence} below the confidence threshold): lower the threshold or label more of the pool`);
    }
    const distinct = new Set(labelled.map((l) => l.label));
    if (distinct.size === 1) warnings.push(`the teacher gave every pool text the label "${[...distinct][0]}": a one-label teacher teaches a one-label student`);
    for (const l of labels) {
      if (filtered.keptPerClass[l] === 0) warnings.push(`class "${l}": no pool texts kept${demos.some((d) => d.label === l) ? ' (only the gold demonstrations teach it)' : ' and no demonstrations: the student never learns it'}`);
    }

    // The student: kept pool items with the teacher's label (and distribution, when soft) plus the gold demonstrations.
    const kept = filtered.items.filter((it) => it.split === 'train');
    const train: Example[] = [
      ...kept.map((it) => ({ ...input(it), label: it.label, ...(o.soft ? { labelProbs: it.probs } : {}) })),
      ...demos,
    ];
    const { model: studentModel, method = 'full', ...studentRest } = o.student;
    const ft = await finetune({
      ...studentRest, model: studentModel, method, train, task: 'classify', labels, seed, quiet: !!o.quiet,
      ...(paths ? { out: paths.student, overwrite: true } : {}), // distill's own student folder (distill checked --out itself)
    });
    const student = ft.model as FineTunedClassifier;

    const evalStart = performance.now();
    const held = filtered.items.filter((it) => it.split === 'heldout');
    const agreement = held.length > 0
      ? agreementWithTeacher(held.map((h) => h.label), (await student.predict(held.map(input))).map((p) => p.label), seed)
      : null;
    let testScores: DistillSummary['test'] = null;
    if (test) {
      const before = teacher.usage();
      const t = await teacher.label(test.map(input), (d, n) => o.onProgress?.('test', d, n));
      const after = teacher.usage();
      const teacherUsage: TeacherUsage = {
        queries: after.queries - before.queries, calls: after.calls - before.calls, tokens: after.tokens - before.tokens,
        newCalls: after.newCalls - before.newCalls, newTokens: after.newTokens - before.newTokens, seconds: after.seconds - before.seconds,
      };
      const s = await student.predict(test.map(input));
      const gold = test.map((e) => e.label!);
      testScores = {
        n: test.length,
        teacher: scoreWithIntervals(gold, t.map((x) => x.label), labels, seed),
        student: scoreWithIntervals(gold, s.map((x) => x.label), labels, seed),
        teacherUsage,
      };
    }
    const evalSeconds = (performance.now() - evalStart) / 1000;

    const summary: DistillSummary = {
      version: 1,
      labels,
      teacher: { id: teacher.lm.id, k: teacher.program.k, select: teacher.program.selection.method, calibrate: teacher.program.calibrate },
      student: {
        model: typeof studentModel === 'string' ? studentModel : studentModel.sourceDir ?? 'model', method, soft: !!o.soft, steps: ft.steps,
        ...(paths ? { out: paths.student } : {}),
      },
      pool: {
        available: pool.length, labelled: labelled.length, heldOut: filtered.heldOut, kept: filtered.kept,
        teacherPerClass: filtered.teacherPerClass, keptPerClass: filtered.keptPerClass, dropped: filtered.dropped, demonstrations: demos.length,
      },
      teacherUsage: {
        ...usage,
        ...(o.price !== undefined ? { pricePerMillionUsd: o.price, costUsd: tokenCost(usage.tokens, o.price), newCostUsd: tokenCost(usage.newTokens, o.price) } : {}),
      },
      agreement,
      test: testScores,
      timings: { labelSeconds, trainSeconds: ft.trainSeconds, evalSeconds, totalSeconds: (performance.now() - started) / 1000 },
      warnings,
    };
    if (paths) writeFileAtomic(paths.summary, `${JSON.stringify(summary, null, 2)}\n`);
    return { student, finetune: ft, labelled: filtered.items, summary, ...(paths ? { paths } : {}) };
  } finally {
    await teacher.dispose();
  }
}
