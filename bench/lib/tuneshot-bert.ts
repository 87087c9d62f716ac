// tuneshot side of the encoder training benchmark: TransformerModel (BERT, MLM head over all
// positions) + Trainer + AdamW, exactly as a user would train it.
import { AdamW, Graph, HostTensor, Program, Trainer, ops as o } from '../../src/engine/index.js';
import { TransformerModel, bertConfig, encoderFeeds } from '../../src/models/index.js';
import { EncoderShape, mulberryInts } from './data.js';

export function bertRawConfig(s: EncoderShape): Record<string, unknown> {
  const raw = bertConfig({ vocab: s.vocab, hidden: s.hidden, layers: s.layers, heads: s.heads, ffn: s.ffn, maxPositions: s.maxPositions });
  // Dropout off for every implementation alike (the engine, TF.js and PyTorch).
  raw['hidden_dropout_prob'] = 0;
  raw['attention_probs_dropout_prob'] = 0;
  return raw;
}

/** Feeds for a full (unpadded) batch of random tokens with labels at every position. */
export function mlmBatch(model: TransformerModel, s: EncoderShape, seed: number): Record<string, HostTensor> {
  const ids = mulberryInts(s.batch * s.seq, s.vocab, seed);
  const labels = mulberryInts(s.batch * s.seq, s.vocab, seed + 1);
  const rows = Array.from({ length: s.batch }, (_, b) => Array.from(ids.subarray(b * s.seq, (b + 1) * s.seq)));
  const feeds = encoderFeeds(model, { inputIds: rows, attentionMask: rows.map((r) => r.map(() => 1)) });
  feeds['labels'] = { data: BigInt64Array.from(labels, (x) => BigInt(x)), shape: [s.batch * s.seq] };
  return feeds;
}

export interface TuneshotEncoderBench {
  step(): Promise<number>;
  forward(): Promise<void>;
  numParams: number;
}

export function tuneshotEncoder(s: EncoderShape): TuneshotEncoderBench {
  const model = TransformerModel.fromConfig(bertRawConfig(s), { seed: 1, head: 'mlm' });
  const built = model.build({ head: 'mlm', training: true });
  const trainer = new Trainer(built.loss!, built.graph.params, model.params, {
    optimizer: new AdamW({ weightDecay: 0.01 }),
    schedule: { kind: 'constant', peakLr: 1e-4, warmupSteps: 0, totalSteps: 1_000_000 },
  });
  const feeds = mlmBatch(model, s, 7);
  // Forward-only program over the same graph (loss only), to split forward from backward+update.
  const fwd = new Program([built.loss!]);
  const feedsFiltered = Object.fromEntries(Object.entries(feeds).filter(([k]) => fwd.feeds.some((t) => t.name === k)));
  const trainFeeds = Object.fromEntries(Object.entries(feeds).filter(([k]) => trainer.program.feeds.some((t) => t.name === k)));
  return {
    numParams: model.numParams(),
    step: async () => (await trainer.trainStep([trainFeeds])).loss,
    forward: async () => {
      await fwd.run(feedsFiltered, model.params);
    },
  };
}

/** This machine's peak: one large float32 MatMul on ONNX Runtime through the engine (same threads). */
export async function ortMatmulPeak(n: number, reps: number, time: (fn: () => Promise<unknown>, reps: number, warmup: number) => Promise<number[]>): Promise<{ gflops: number; seconds: number[] }> {
  const g = new Graph();
  const a = g.input('a', 'float32', [n, n]);
  const b = g.input('b', 'float32', [n, n]);
  const p = new Program([o.matmul(a, b)]);
  const rand = (seed: number) => Float32Array.from(mulberryInts(n * n, 1000, seed), (x) => x / 1000 - 0.5);
  const feeds = { a: { data: rand(1), shape: [n, n] }, b: { data: rand(2), shape: [n, n] } };
  const seconds = await time(() => p.run(feeds), reps, 2);
  const sorted = [...seconds].sort((x, y) => x - y);
  const med = sorted[sorted.length >> 1]!;
  return { gflops: (2 * n ** 3) / med / 1e9, seconds };
}
