// bench:pretrain-value — does pre-training pay? On SST-2, TREC and AG News, fine-tune the embedded
// encoder (full) with 16 labelled examples a class and with the full training set, against the same
// architecture from random weights and TF-IDF + logistic regression, all measured in this run.
// 16 a class is the mean over several samples of the training set (one sample is too noisy to
// compare methods a few points apart); the full set is one run. Then the embedded LM's in-context
// learning curve (bench/lib/icl-curve.ts). BENCH_PART=encoder or icl runs one half.
import { finetune } from '../src/train/finetune.js';
import { TransformerModel, resolveModel } from '../src/models/index.js';
import { sampleBudget, type Example } from '../src/data/index.js';
import { sharedSplit, tfidfAccuracy } from './lib/shared.js';
import { table, round } from './lib/util.js';
import { iclCurves } from './lib/icl-curve.js';

const part = process.env.BENCH_PART ?? 'all';
if (!['all', 'encoder', 'icl'].includes(part)) throw new Error(`BENCH_PART=${part}: all, encoder or icl`);

const modelName = process.env.BENCH_MODEL ?? 'tuneshot-base-encoder';
const fullEpochs = Number(process.env.BENCH_FULL_EPOCHS ?? 3);
const k16Epochs = Number(process.env.BENCH_K16_EPOCHS ?? 15);
const samples = Number(process.env.BENCH_K16_SAMPLES ?? 3);
// Mean pooling: an MLM-only encoder never trains its [CLS] vector (there is no next-sentence task),
// so a few labelled examples cannot teach a classifier to read it; the mean of the token states
// carries what pre-training learned. Both inits get the same pooling.
const pooling = (process.env.BENCH_POOLING ?? 'mean') as 'cls' | 'mean';
const pretrained = await TransformerModel.load(resolveModel(part === 'icl' ? 'tuneshot-base-encoder' : modelName));
// Same architecture and tokenizer, random weights (the same seeded initializer pre-training starts from).
const random = TransformerModel.fromConfig(pretrained.config.raw, { seed: 0, head: 'mlm', tokenizer: pretrained.tokenizer });
random.tokenizerDir = pretrained.sourceDir;

async function accuracyOf(base: TransformerModel, train: Example[], test: Example[], epochs: number): Promise<number> {
  const r = await finetune({ model: base, train, method: 'full', epochs, batchSize: 16, maxLength: 64, quiet: true, seed: 0, lr: 2e-4, pooling });
  const preds = await r.model.predict(test.map((e) => ({ text: e.text })));
  return preds.filter((p, i) => p.label === test[i]!.label).length / test.length;
}

type Cell = { pretrained: number; random: number; tfidf: number | null };
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const out: Record<string, Record<string, Cell>> = {};
const perSample: Record<string, Cell[]> = {};
const rows: Array<Array<string | number | null>> = [];
for (const name of part === 'icl' ? [] : (['sst2', 'trec', 'agnews'] as const)) {
  const train = sharedSplit(name, 'train'), test = sharedSplit(name, 'test');
  perSample[name] = [];
  for (let s = 0; s < samples; s++) {
    const pool = sampleBudget(train, 16, s);
    process.stderr.write(`${name} k16 sample ${s + 1}/${samples}: ${pool.length} examples\n`);
    perSample[name]!.push({ pretrained: round(await accuracyOf(pretrained, pool, test, k16Epochs))!, random: round(await accuracyOf(random, pool, test, k16Epochs))!, tfidf: round(tfidfAccuracy(pool, test)) });
  }
  const ps = perSample[name]!;
  const tf = ps.map((c) => c.tfidf);
  const k16: Cell = { pretrained: round(mean(ps.map((c) => c.pretrained)))!, random: round(mean(ps.map((c) => c.random)))!, tfidf: tf.includes(null) ? null : round(mean(tf as number[])) };
  process.stderr.write(`${name} full: ${train.length} examples\n`);
  const full: Cell = { pretrained: round(await accuracyOf(pretrained, train, test, fullEpochs))!, random: round(await accuracyOf(random, train, test, fullEpochs))!, tfidf: round(tfidfAccuracy(train, test)) };
  out[name] = { k16, full };
  rows.push([name, `16 a class (mean of ${samples})`, String(16 * new Set(train.map((e) => e.label)).size), k16.pretrained, k16.random, k16.tfidf]);
  rows.push([name, 'full', String(train.length), full.pretrained, full.random, full.tfidf]);
}
if (part !== 'icl') {
console.log(`${modelName} vs random init vs TF-IDF + LR (test accuracy; full fine-tuning, ${pooling} pooling, lr 2e-4, batch 16; 16 a class: ${k16Epochs} epochs, mean of ${samples} samples; full: ${fullEpochs} epochs)`);
console.log(table(['dataset', 'budget', 'examples', 'pretrained', 'random init', 'tfidf+lr'], rows));
console.log('16 a class, each sample (pretrained / random / tfidf):');
for (const [name, ps] of Object.entries(perSample)) console.log(`  ${name}: ${ps.map((c) => `${c.pretrained} / ${c.random} / ${c.tfidf}`).join('   ')}`);
}

// The LM: ICL accuracy at k = 0, 4, 8, 16, kNN and random demonstrations, beside the majority baseline.
const lmName = process.env.BENCH_LM ?? 'tuneshot-base-lm';
const iclTest = Number(process.env.BENCH_ICL_TEST ?? 300);
const ks = (process.env.BENCH_ICL_KS ?? '0,4,8,16').split(',').map(Number);
const icl = part === 'encoder' ? undefined : await iclCurves({ model: lmName, testLimit: iclTest, ks, select: ['knn', 'random'] });
if (icl) {
  console.log(`${lmName}: in-context learning, test accuracy (${iclTest} test examples a task, seed 0; texts cut as \`tuneshot icl\` cuts them)`);
  console.log(table(['dataset', 'selection', 'majority', ...ks.map((k) => `k=${k}`)], Object.entries(icl).flatMap(([name, c]) =>
    (['knn', 'random'] as const).map((s) => [name, s, c.majority, ...ks.map((k) => c.accuracy[`${s}:${k}`] ?? null)]))));
}
console.log(JSON.stringify({ ...out, k16Samples: perSample, ...(icl ? { icl } : {}), settings: { model: modelName, pooling, k16Epochs, fullEpochs, samples, lm: lmName, iclTest } }));
