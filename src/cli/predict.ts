// `tuneshot predict`: class probabilities of a fine-tuned classifier for every row of a data file,
// in batches, written as JSONL atomically (temporary sibling file, then rename).
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { loadExamples, type Example } from '../data/dataset.js';
import { classificationMetrics, exactMatch } from '../eval/metrics.js';
import { FineTunedGenerator, isClassifierFolder, loadClassifier } from '../train/adapted.js';
import { isRemoteModelFolder, loadRemoteClassifier } from '../remote/card.js';
import type { Classifier } from '../predictor.js';
import { loadPretrained, resolvePretrained } from '../models/pretrained.js';
import { Progress } from '../util/progress.js';
import { QUANTIZE_MODES, quantizeClassifier } from '../export/int8-classifier.js';
import { int, Option } from './main.js';

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

/** Inputs to predict (JSONL or CSV): the text field is required; the label is optional (scored when present). */
export function readInputs(file: string, f: InputFields = {}): Example[] {
  return loadExamples(file, { task: 'classify', textField: f.textField, labelField: f.labelField, textPairField: f.textPairField, labelOptional: true }).examples;
}

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('predict labels and class probabilities with a fine-tuned classifier (or completions with a fine-tuned decoder)')
    .requiredOption('--model <model>', 'fine-tuned classifier (folder or Hub id; config.json with id2label), or a decoder for generation')
    .option('--max-tokens <n>', 'generation: new tokens a completion', int, 64)
    .requiredOption('--data <file>', 'JSONL (or CSV) inputs; a label field, when present, is scored')
    .option('--out <file>', 'predictions JSONL', 'predictions.jsonl')
    .option('--batch-size <n>', 'inputs a forward pass', int, 32)
    .option('--text-field <name>', 'field holding the text', 'text')
    .option('--text-pair-field <name>', 'field holding the second text of a pair')
    .option('--label-field <name>', 'field holding the gold label', 'label')
    .addOption(new Option('--quantize <mode>', 'classifiers: int8 MatMuls (faster on CPU, slightly different probabilities)').choices(QUANTIZE_MODES))
    .option('--quiet', 'no progress output')
    .action(async (o) => {
      const remote = isRemoteModelFolder(o.model); // fine-tuned remotely: predicted through its provider
      if (remote && o.quantize) throw new Error(`--quantize ${o.quantize}: ${o.model} was fine-tuned remotely and is predicted through its provider`);
      if (!remote && !isClassifierFolder((await resolvePretrained(o.model, { quiet: !!o.quiet })).dir)) {
        if (o.quantize) throw new Error(`--quantize ${o.quantize} is for classifiers; ${o.model} is a language model (no id2label)`);
        return predictGenerations(o);
      }
      const inputs = readInputs(o.data, { textField: o.textField, textPairField: o.textPairField, labelField: o.labelField });
      const clf: Classifier = remote ? await loadRemoteClassifier(o.model) : o.quantize ? await quantizeClassifier(await loadClassifier(o.model), o.quantize) : await loadClassifier(o.model);
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
      await clf.dispose?.();
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
  const gen = new FineTunedGenerator(await loadPretrained(o.model, { quiet: !!o.quiet }), { maxLength: 512 });
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
