// Child process for the resume test: pre-trains a tiny encoder on the shipped spam texts, with
// dropout on (every random stream of the run must survive the kill).
import { pretrain } from '../../src/train/pretrain.js';

const [out, steps, resume, tokenizer] = process.argv.slice(2);
const r = await pretrain({
  objective: 'mlm', corpus: ['datasets/spam/train.jsonl'], out: out!, tokenizer, size: 'bert-nano', vocabSize: 600, seqLen: 64,
  batchSize: 8, steps: Number(steps), checkpointEvery: 4, resume: resume === 'resume', quiet: true, seed: 1, dropout: true,
});
process.stdout.write(JSON.stringify({ losses: r.losses, heldOut: r.heldOut }));
