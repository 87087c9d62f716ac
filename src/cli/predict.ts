// `tuneshot predict`: class probabilities of a fine-tuned classifier for every row of a data file,
// in batches, written as JSONL atomically (temporary sibling file, then rename).
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { DataError, loadExamples, type Example } from '../data/dataset.js';
import { classificationMetrics } from '../eval/metrics.js';
import { FineTunedGenerator, isClassifierFolder, loadClassifier } from '../train/adapted.js';
import { TransformerModel } from '../models/model.js';
import { resolveModel } from '../models/resolve.js';
import { exactMatch } from '../eval/metrics.js';
import { Progress } from '../train/progress.js';
import { int } from './main.js';

/** Write rows as JSON lines via a temporary sibling file and a rename: readers never see half a file. */
export function writeJsonlAtomic(file: string, rows: Iterable<unknown>): void {
  const tmp = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    let buf = '';
    for (const r of rows) {
      buf += `${JSON.stringify(r)}\n`;
      if (buf.length > 1 << 20) { writeSync(fd, buf); buf = ''; }
    }
    if (buf) writeSync(fd, buf);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, file);
  } catch (e) {
    try { closeSync(fd); } catch { /* already closed */ }
    rmSync(tmp, { force: true });
    throw e;
  }
}

export interface InputFields {
  textField?: string;
  textPairField?: string;
  labelField?: string;
}

/** Inputs to predict: JSONL rows need the text field; the label is optional (scored when present). CSV goes through loadExamples. */
export function readInputs(file: string, f: InputFields = {}): Example[] {
  const textField = f.textField ?? 'text', labelField = f.labelField ?? 'label';
  if (/\.csv$/i.test(file)) {
    return loadExamples(file, { task: 'classify', textField, labelField, ...(f.textPairField ? { textPairField: f.textPairField } : {}) }).examples;
  }
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataError(file, undefined, undefined, `cannot read file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const out: Example[] = [];
  content.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      throw new DataError(file, i + 1, undefined, `malformed JSON (${(e as Error).message})`);
    }
    if (row === null || typeof row !== 'object' || Array.isArray(row)) throw new DataError(file, i + 1, undefined, 'expected a JSON object on each line');
    const r = row as Record<string, unknown>;
    const text = r[textField];
    if (typeof text !== 'string') throw new DataError(file, i + 1, textField, text === undefined ? 'missing' : 'expected a string');
    const ex: Example = { text };
    if (f.textPairField) {
      const p = r[f.textPairField];
      if (typeof p !== 'string') throw new DataError(file, i + 1, f.textPairField, p === undefined ? 'missing' : 'expected a string');
      ex.textPair = p;
    }
    if (typeof r[labelField] === 'string') ex.label = r[labelField] as string;
    out.push(ex);
  });
  if (out.length === 0) throw new DataError(file, undefined, undefined, 'no examples found');
  return out;
}

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('predict labels and class probabilities with a fine-tuned classifier (or completions with a fine-tuned decoder)')
    .requiredOption('--model <folder>', 'fine-tuned classifier folder (config.json with id2label), or a decoder for generation')
    .option('--max-tokens <n>', 'generation: new tokens a completion', int, 64)
    .requiredOption('--data <file>', 'JSONL (or CSV) inputs; a label field, when present, is scored')
    .option('--out <file>', 'predictions JSONL', 'predictions.jsonl')
    .option('--batch-size <n>', 'inputs a forward pass', int, 32)
    .option('--text-field <name>', 'field holding the text', 'text')
    .option('--text-pair-field <name>', 'field holding the second text of a pair')
    .option('--label-field <name>', 'field holding the gold label', 'label')
    .option('--quiet', 'no progress output')
    .action(async (o) => {
      if (!isClassifierFolder(resolveModel(o.model))) return predictGenerations(o);
      const inputs = readInputs(o.data, { textField: o.textField, textPairField: o.textPairField, labelField: o.labelField });
      const clf = await loadClassifier(o.model);
      const bs = Math.max(1, o.batchSize as number);
      const progress = new Progress({ total: inputs.length, label: 'predict', unit: 'ex/s', quiet: !!o.quiet });
      progress.start();
      const rows: Array<{ index: number; label: string; probs: Record<string, number>; gold?: string }> = [];
      for (let i = 0; i < inputs.length; i += bs) {
        const chunk = inputs.slice(i, i + bs);
        const preds = await clf.predict(chunk.map((e) => ({ text: e.text, ...(e.textPair !== undefined ? { textPair: e.textPair } : {}) })));
        preds.forEach((p, j) => {
          const gold = chunk[j]!.label;
          rows.push({ index: i + j, label: p.label, probs: p.probs, ...(gold !== undefined ? { gold } : {}) });
        });
        progress.update(Math.min(i + bs, inputs.length), {}, chunk.length);
      }
      progress.stop();
      writeJsonlAtomic(o.out, rows);
      const scored = rows.filter((r) => r.gold !== undefined);
      let line = `${o.out}: ${rows.length} predictions (${clf.labels.join(', ')})`;
      if (scored.length > 0) {
        const m = classificationMetrics(scored.map((r) => r.gold!), scored.map((r) => r.label), [...clf.labels]);
        line += `; on ${scored.length} labelled: accuracy ${(m.accuracy * 100).toFixed(2)}%, macro-F1 ${(m.macroF1 * 100).toFixed(2)}%`;
      }
      console.log(line);
    });
}

/** Generation models (no id2label): a completion for each row's prompt, greedy, stopping at a newline. */
async function predictGenerations(o: { model: string; data: string; out: string; maxTokens: number; quiet?: boolean }): Promise<void> {
  const { examples } = loadExamples(o.data, { task: 'generate' });
  const gen = new FineTunedGenerator(await TransformerModel.load(resolveModel(o.model)), { maxLength: 512 });
  const progress = new Progress({ total: examples.length, label: 'predict', unit: 'ex/s', quiet: !!o.quiet });
  progress.start();
  const rows: Array<{ index: number; generation: string; reference?: string }> = [];
  for (const [i, e] of examples.entries()) {
    const [g] = await gen.generate([e.prompt ?? e.text], o.maxTokens);
    rows.push({ index: i, generation: g!, ...(e.completion !== undefined ? { reference: e.completion } : {}) });
    progress.update(i + 1, {}, 1);
  }
  progress.stop();
  writeJsonlAtomic(o.out, rows);
  const refs = rows.filter((r) => r.reference !== undefined);
  const em = refs.length ? refs.reduce((a, r) => a + exactMatch(r.generation, r.reference!), 0) / refs.length : undefined;
  console.log(`${o.out}: ${rows.length} generations${em !== undefined ? `; exact match ${(em * 100).toFixed(2)}% on ${refs.length} with references` : ''}`);
}
