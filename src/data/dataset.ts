// Labelled-example loading (JSONL / CSV) for classification and generation
// tasks, plus class-balanced budget sampling.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseCsv, type Options as CsvOptions } from 'csv-parse/sync';
import { subSeed, shuffle } from './random.js';

/** One labelled example. Classification uses text/textPair/label; generation uses prompt/completion. */
export interface Example {
  text: string;
  textPair?: string;
  label?: string;
  /**
   * Classify: a target distribution over the labels (soft label, e.g. a teacher's probabilities).
   * When any training example has one, fine-tuning minimizes cross-entropy to it (examples without
   * one count as one-hot on `label`).
   */
  labelProbs?: Record<string, number>;
  prompt?: string;
  completion?: string;
}

export type Task = 'classify' | 'generate';
export type DataFormat = 'jsonl' | 'csv';

export interface LoadOptions {
  task: Task;
  /** Field holding the input text (classify). Default 'text'. */
  textField?: string;
  /** Optional second text (sentence pairs, classify). */
  textPairField?: string;
  /** Field holding the label (classify). Default 'label'. */
  labelField?: string;
  /** Prompt field (generate). Default 'prompt'. */
  promptField?: string;
  /** Completion field (generate). Default 'completion'. */
  completionField?: string;
  /** Format; by default taken from the file extension (.jsonl/.ndjson/.json → jsonl, .csv → csv). */
  format?: DataFormat;
  /** Closed label set. Labels outside it are an error; the returned `labels` keep this order. */
  labels?: string[];
  /** Classify: rows without a label are kept unlabelled (inputs to predict, scored where labelled). */
  labelOptional?: boolean;
}

export interface LoadedExamples {
  examples: Example[];
  /** Sorted distinct labels found in the file, or `options.labels` as given. Empty for generation. */
  labels: string[];
}

/** A data error that names the file, the 1-based line and (when relevant) the field. */
export class DataError extends Error {
  readonly file: string;
  readonly line: number | undefined;
  readonly field: string | undefined;
  constructor(file: string, line: number | undefined, field: string | undefined, problem: string) {
    const where = line === undefined ? file : `${file}:${line}`;
    const what = field === undefined ? '' : ` field "${field}":`;
    super(`${where}:${what} ${problem}`);
    this.name = 'DataError';
    this.file = file;
    this.line = line;
    this.field = field;
  }
}

type Row = Record<string, unknown>;

function detectFormat(path: string, format: DataFormat | undefined): DataFormat {
  if (format) return format;
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  throw new DataError(path, undefined, undefined, `cannot tell the format from extension "${ext}"; pass format: 'jsonl' | 'csv'`);
}

function* jsonlRows(path: string, content: string): Generator<{ row: Row; line: number }> {
  const lines = content.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      throw new DataError(path, i + 1, undefined, `malformed JSON (${(e as Error).message})`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new DataError(path, i + 1, undefined, 'expected a JSON object on each line');
    }
    yield { row: value as Row, line: i + 1 };
  }
}

function* csvRows(path: string, content: string): Generator<{ row: Row; line: number }> {
  let records: Array<{ record: string[]; line: number }>;
  try {
    records = parseCsv(content, {
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      // Keep the line number of every record (the line where the record ends).
      on_record: ((record: string[], ctx: { lines: number }) => ({ record, line: ctx.lines })) as unknown as CsvOptions['on_record'],
    }) as unknown as Array<{ record: string[]; line: number }>;
  } catch (e) {
    const err = e as Error & { lines?: number };
    throw new DataError(path, err.lines, undefined, `malformed CSV (${err.message})`);
  }
  if (records.length === 0) return;
  const header = records[0]!.record.map((h) => h.trim());
  const seen = new Set<string>();
  for (const h of header) {
    if (seen.has(h)) throw new DataError(path, records[0]!.line, h, 'duplicate column in CSV header');
    seen.add(h);
  }
  for (let r = 1; r < records.length; r++) {
    const { record, line } = records[r]!;
    if (record.length !== header.length) {
      throw new DataError(path, line, undefined, `CSV row has ${record.length} columns, header has ${header.length}`);
    }
    const row: Row = {};
    header.forEach((h, j) => (row[h] = record[j]));
    yield { row, line };
  }
}

function requireText(path: string, line: number, row: Row, field: string): string {
  if (!(field in row) || row[field] === undefined || row[field] === null) {
    throw new DataError(path, line, field, 'missing');
  }
  const v = row[field];
  if (typeof v !== 'string') throw new DataError(path, line, field, `expected a string, got ${JSON.stringify(v)}`);
  if (v.trim() === '') throw new DataError(path, line, field, 'empty text');
  return v;
}

/**
 * Load labelled examples from a JSONL or CSV file.
 * Throws a single DataError (file, line, field) on the first problem found.
 */
export function loadExamples(path: string, options: LoadOptions): LoadedExamples {
  const {
    task,
    textField = 'text',
    textPairField,
    labelField = 'label',
    promptField = 'prompt',
    completionField = 'completion',
    labels: givenLabels,
  } = options;
  const format = detectFormat(path, options.format);
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DataError(path, undefined, undefined, `cannot read file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (givenLabels) {
    if (givenLabels.length === 0) throw new DataError(path, undefined, undefined, 'the given label set is empty');
    if (new Set(givenLabels).size !== givenLabels.length) {
      throw new DataError(path, undefined, undefined, `the given label set has duplicates: ${JSON.stringify(givenLabels)}`);
    }
  }
  const allowed = givenLabels ? new Set(givenLabels) : undefined;
  const found = new Set<string>();
  const examples: Example[] = [];
  const rows = format === 'csv' ? csvRows(path, content) : jsonlRows(path, content);
  for (const { row, line } of rows) {
    if (task === 'classify') {
      const text = requireText(path, line, row, textField);
      const ex: Example = { text };
      if (textPairField !== undefined) ex.textPair = requireText(path, line, row, textPairField);
      if (!(labelField in row) || row[labelField] === undefined || row[labelField] === null) {
        if (options.labelOptional) { examples.push(ex); continue; }
        throw new DataError(path, line, labelField, 'missing');
      }
      const label = row[labelField];
      if (typeof label !== 'string') {
        throw new DataError(path, line, labelField, `label must be a string, got ${JSON.stringify(label)}`);
      }
      if (label.trim() === '') throw new DataError(path, line, labelField, 'empty label');
      if (allowed && !allowed.has(label)) {
        throw new DataError(path, line, labelField, `label ${JSON.stringify(label)} is not in the label set ${JSON.stringify(givenLabels)}`);
      }
      ex.label = label;
      found.add(label);
      examples.push(ex);
    } else {
      const prompt = requireText(path, line, row, promptField);
      const completion = requireText(path, line, row, completionField);
      examples.push({ text: prompt, prompt, completion });
    }
  }
  if (examples.length === 0) throw new DataError(path, undefined, undefined, 'no examples found');
  const labels = task === 'classify' ? (givenLabels ? givenLabels.slice() : [...found].sort()) : [];
  return { examples, labels };
}

/**
 * Examples given as a file (read and checked by loadExamples) or already in memory, with their label
 * set: `labels` when given (a closed set for files), else the sorted distinct labels (none for
 * generation). `name` says where they came from, for messages.
 */
export function examplesOf(src: string | Example[], labels?: string[], options: Omit<LoadOptions, 'labels'> = { task: 'classify' }): LoadedExamples & { name: string } {
  if (typeof src === 'string') return { ...loadExamples(src, { ...options, labels }), name: src };
  const found = [...new Set(src.map((e) => e.label ?? ''))].filter((l) => l !== '').sort();
  return { examples: src, labels: options.task === 'classify' ? (labels ?? found) : [], name: '(in memory)' };
}

/**
 * A class-balanced pool of `perClass` examples per label (all of a class when it has fewer),
 * deterministic by `seed`, and nested: for the same seed, the pool for k is a prefix of the
 * pool for any k' > k. Classes are visited in sorted label order, round-robin
 * (a1 b1 a2 b2 ...). Examples without a label form one group. `'all'` returns every example.
 */
export function sampleBudget<T extends { label?: string }>(examples: readonly T[], perClass: number | 'all', seed: number): T[] {
  if (perClass !== 'all' && (!Number.isInteger(perClass) || perClass < 0)) {
    throw new RangeError(`perClass must be a non-negative integer or 'all', got ${perClass}`);
  }
  const groups = new Map<string, T[]>();
  for (const ex of examples) {
    const key = ex.label ?? '';
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(ex);
  }
  const keys = [...groups.keys()].sort();
  const orders = keys.map((k) => shuffle(groups.get(k)!, subSeed(seed, k)));
  const k = perClass === 'all' ? Math.max(0, ...orders.map((o) => o.length)) : perClass;
  const pool: T[] = [];
  for (let i = 0; i < k; i++) {
    for (const order of orders) if (i < order.length) pool.push(order[i]!);
  }
  return pool;
}
