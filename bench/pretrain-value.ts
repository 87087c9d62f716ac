// bench:pretrain-value — does pre-training pay? On SST-2, TREC and AG News, fine-tune the embedded
// encoder (full) with 16 labelled examples a class and with the full training set, against the same
// architecture from random weights and TF-IDF + logistic regression, all measured in this run.
import { finetune } from '../src/train/finetune.js';
import { TransformerModel, resolveModel } from '../src/models/index.js';
import { sampleBudget, type Example } from '../src/data/index.js';
import { sharedSplit, tfidfAccuracy } from './lib/shared.js';
import { table, round } from './lib/util.js';

const modelName = process.env.BENCH_MODEL ?? 'tuneshot-base-encoder';
const fullEpochs = Number(process.env.BENCH_FULL_EPOCHS ?? 2);
const pretrained = await TransformerModel.load(resolveModel(modelName));
// Same architecture and tokenizer, random weights (the same seeded initializer pre-training starts from).
const random = TransformerModel.fromConfig(pretrained.config.raw, { seed: 0, head: 'mlm', tokenizer: pretrained.tokenizer });
random.tokenizerDir = pretrained.sourceDir;

async function accuracyOf(base: TransformerModel, train: Example[], test: Example[], epochs: number): Promise<number> {
  const r = await finetune({ model: base, train, method: 'full', epochs, batchSize: 16, maxLength: 64, quiet: true, seed: 0, lr: 2e-4 });
  const preds = await r.model.predict(test.map((e) => ({ text: e.text })));
  return preds.filter((p, i) => p.label === test[i]!.label).length / test.length;
}

const out: Record<string, Record<string, { pretrained: number; random: number; tfidf: number | null }>> = {};
const rows: Array<Array<string | number | null>> = [];
for (const name of ['sst2', 'trec', 'agnews'] as const) {
  const train = sharedSplit(name, 'train'), test = sharedSplit(name, 'test');
  out[name] = {};
  for (const [key, pool, epochs] of [['k16', sampleBudget(train, 16, 0), 15], ['full', train, fullEpochs]] as const) {
    process.stderr.write(`${name} ${key}: ${pool.length} examples\n`);
    const cell = { pretrained: round(await accuracyOf(pretrained, pool, test, epochs))!, random: round(await accuracyOf(random, pool, test, epochs))!, tfidf: round(tfidfAccuracy(pool, test)) };
    out[name]![key] = cell;
    rows.push([name, key, pool.length, cell.pretrained, cell.random, cell.tfidf]);
  }
}
console.log(`${modelName} vs random init vs TF-IDF + LR (test accuracy; k16 = 16 a class, 15 epochs; full = ${fullEpochs} epochs; seed 0)`);
console.log(table(['dataset', 'budget', 'examples', 'pretrained', 'random init', 'tfidf+lr'], rows));
console.log(JSON.stringify(out));
