// bench:finetune — full, LoRA and head-only fine-tuning of the embedded encoder on SST-2 (3 epochs
// over the 6,920 training sentences): wall time, examples/s, test accuracy; TF-IDF + LR as the peer.
import { finetune } from '../src/train/finetune.js';
import type { Method } from '../src/train/methods/index.js';
import { sharedSplit, tfidfAccuracy } from './lib/shared.js';
import { table, round } from './lib/util.js';

const model = process.env.BENCH_MODEL ?? 'tuneshot-base-encoder';
const epochs = Number(process.env.BENCH_EPOCHS ?? 3);
const train = sharedSplit('sst2', 'train'), dev = sharedSplit('sst2', 'dev'), test = sharedSplit('sst2', 'test');
const results: Record<string, { seconds: number; examples_per_s: number; accuracy: number }> = {};
for (const method of ['head', 'lora', 'full'] as Method[]) {
  process.stderr.write(`fine-tuning ${method}...\n`);
  const r = await finetune({ model, train, dev, method, epochs, batchSize: 32, maxLength: 64, quiet: !process.stderr.isTTY, seed: 0 });
  const preds = await r.model.predict(test.map((e) => ({ text: e.text })));
  const accuracy = preds.filter((p, i) => p.label === test[i]!.label).length / test.length;
  results[method] = { seconds: round(r.trainSeconds)!, examples_per_s: round(r.examplesPerSecond)!, accuracy: round(accuracy)! };
}
const tfidf = tfidfAccuracy(train, test);
console.log(`SST-2, ${model}, ${epochs} epochs over ${train.length} sentences, batch 32, max 64 tokens, test ${test.length}`);
console.log(table(['method', 'seconds', 'examples/s', 'test accuracy'], [
  ...Object.entries(results).map(([m, r]) => [m, r.seconds, r.examples_per_s, r.accuracy]),
  ['tfidf+lr (peer)', null, null, tfidf],
]));
console.log(JSON.stringify({ ...results, tfidf: { accuracy: tfidf }, model, epochs }));
