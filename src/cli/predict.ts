// `tuneshot predict`: class probabilities of a fine-tuned classifier for every row of a data file,
// in batches, written as JSONL atomically. The output file and the data (gold labels the model
// does not know included) are checked before the model runs, so an error never follows a write.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import {
  FineTunedGenerator, QUANTIZE_MODES, familyOf, classificationMetrics, exactMatch, isRemoteModelFolder, loadClassifier, loadExamples,
  loadPretrained, loadRemoteClassifier, quantizeClassifier, resolvePretrained, type Classifier, type QuantizeMode,
} from '../index.js';
import { Progress } from '../util/progress.js';
import { Option } from 'commander';
import { writeJsonlAtomic } from '../io/atomic.js';
import { prepareOutputFile } from '../io/output.js';
import { num } from './args.js';

interface PredictCliOptions {
  model: string;
  maxTokens: number;
  data: string;
  out: string;
  overwrite?: boolean;
  batchSize: number;
  textField: string;
  textPairField?: string;
  labelField: string;
  quiet?: boolean;
  quantize?: QuantizeMode;
}

/** What config.json says the model folder is: a classifier (its labels), an encoder, or a decoder. */
function modelKind(dir: string): { kind: 'classifier'; labels: string[] } | { kind: 'encoder' } | { kind: 'decoder' } {
  const cfg = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as { id2label?: Record<string, string>; model_type?: string };
  if (cfg.id2label && Object.keys(cfg.id2label).length > 0) {
    return { kind: 'classifier', labels: Object.keys(cfg.id2label).sort((a, b) => Number(a) - Number(b)).map((k) => cfg.id2label![k]!) };
  }
  // The family knows whether it is an encoder (every encoder family, ModernBERT too, not a fixed list).
  return familyOf(cfg.model_type ?? '')?.kind === 'encoder' ? { kind: 'encoder' } : { kind: 'decoder' };
}

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('predict labels and class probabilities with a fine-tuned classifier (or completions with a fine-tuned decoder)')
    .requiredOption('--model <model>', 'fine-tuned classifier (folder or Hub id; config.json with id2label), or a decoder for generation')
    .option('--max-tokens <n>', 'generation: new tokens a completion', num('maxTokens'), 64)
    .requiredOption('--data <file>', 'JSONL (or CSV) inputs; a label field, when present, is scored')
    .option('--out <file>', 'predictions JSONL (missing folders are created)', 'predictions.jsonl')
    .option('--overwrite', 'replace earlier predictions in --out')
    .option('--batch-size <n>', 'inputs a forward pass', num('batchSize'), 32)
    .option('--text-field <name>', 'field holding the text', 'text')
    .option('--text-pair-field <name>', 'field holding the second text of a pair')
    .option('--label-field <name>', 'field holding the gold label', 'label')
    .addOption(new Option('--quantize <mode>', 'classifiers: int8 MatMuls (faster on CPU, slightly different probabilities)').choices(QUANTIZE_MODES))
    .option('--quiet', 'no progress output')
    .action(async (o: PredictCliOptions) => {
      // Fine-tuned remotely: predicted through its provider; its labels are in its card.
      const remote = isRemoteModelFolder(o.model);
      const dir = remote ? path.resolve(o.model) : (await resolvePretrained(o.model, { quiet: !!o.quiet })).dir;
      const what = remote ? undefined : modelKind(dir);
      if (remote && o.quantize) throw new Error(`--quantize ${o.quantize}: ${o.model} was fine-tuned remotely and is predicted through its provider`);
      if (what?.kind === 'decoder' && o.quantize) throw new Error(`--quantize ${o.quantize} is for classifiers; ${o.model} is a language model (no id2label)`);
      if (what?.kind === 'encoder') {
        throw new Error(`${o.model}: a base encoder without a classification head (no id2label in config.json), not a fine-tuned classifier; fine-tune it first: tuneshot finetune --model ${o.model} --task classify --train <data> --out <folder>`);
      }
      prepareOutputFile(o.out, { kind: 'predictions', overwrite: o.overwrite, inputs: [o.data, dir] });
      if (what?.kind === 'decoder') return predictGenerations(o, dir);
      // Gold labels are checked against the model's labels while reading: file and line, before any work
      // (a local model's labels are in its config.json; a remote one's in its card, read by loading it).
      const readInputs = (labels: readonly string[]) => loadExamples(o.data, {
        task: 'classify', textField: o.textField, labelField: o.labelField, textPairField: o.textPairField, labelOptional: true, labels: [...labels],
      }).examples;
      let clf: Classifier, inputs;
      if (what?.kind === 'classifier') {
        inputs = readInputs(what.labels);
        clf = o.quantize ? await quantizeClassifier(await loadClassifier(dir), o.quantize) : await loadClassifier(dir);
      } else {
        clf = await loadRemoteClassifier(dir);
        inputs = readInputs(clf.labels);
      }
      const bs = o.batchSize;
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
async function predictGenerations(o: PredictCliOptions, dir: string): Promise<void> {
  const { examples } = loadExamples(o.data, { task: 'generate' });
  const gen = new FineTunedGenerator(await loadPretrained(dir, { quiet: !!o.quiet }), { maxLength: 512 });
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
