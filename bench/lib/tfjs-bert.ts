// TF.js (WebAssembly backend) peer of the encoder training benchmark: the same BERT (post-LN,
// erf GELU, tied MLM head with transform + LayerNorm, loss over all B*T positions, dropout off),
// trained with tf.train.adam (TF.js has no AdamW; the decay term is one more element-wise op).
//
// The wasm backend has no UnsortedSegmentSum kernel, so tf.gather is not differentiable there;
// embedding lookups use a custom gradient that scatters with ScatterNd (which sums duplicates),
// the workaround a TF.js user would write.
import * as tf from '@tensorflow/tfjs';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import type { EncoderShape } from './util.js';
import { mulberryInts } from './data.js';

let ready: Promise<{ threads: number; version: string }> | undefined;

export function initTfjsWasm(threads: number): Promise<{ threads: number; version: string }> {
  ready ??= (async () => {
    wasm.setThreadsCount(threads);
    if (!(await tf.setBackend('wasm'))) throw new Error('TF.js: wasm backend failed to initialize');
    await tf.ready();
    return { threads: wasm.getThreadsCount(), version: tf.version_core };
  })();
  return ready;
}

function embed(table: tf.Variable, idx: tf.Tensor1D): tf.Tensor2D {
  const f = tf.customGrad((t: tf.Tensor, save: tf.GradSaveFunc) => {
    save([]);
    return {
      value: tf.gather(t, idx),
      gradFunc: (dy: tf.Tensor) => [tf.scatterND(tf.reshape(idx, [-1, 1]), dy, table.shape)],
    };
  });
  return f(table) as tf.Tensor2D;
}

export interface TfjsEncoderBench {
  step(): Promise<number>;
  forward(): Promise<void>;
  dispose(): void;
}

export function tfjsEncoder(s: EncoderShape): TfjsEncoderBench {
  const { hidden: H, heads: NH, ffn: FF, vocab: V, seq: T, batch: B } = s;
  const HD = H / NH, N = B * T;
  const vars: tf.Variable[] = [];
  const w = (shape: number[]) => {
    const v = tf.variable(tf.randomNormal(shape, 0, 0.02, 'float32', vars.length + 1));
    vars.push(v);
    return v;
  };
  const zeros = (n: number) => {
    const v = tf.variable(tf.zeros([n]));
    vars.push(v);
    return v;
  };
  const ones = (n: number) => {
    const v = tf.variable(tf.ones([n]));
    vars.push(v);
    return v;
  };
  const word = w([V, H]), pos = w([s.maxPositions, H]), typ = w([2, H]);
  const embLn = [ones(H), zeros(H)] as const;
  const layers = Array.from({ length: s.layers }, () => ({
    q: [w([H, H]), zeros(H)], k: [w([H, H]), zeros(H)], v: [w([H, H]), zeros(H)], o: [w([H, H]), zeros(H)],
    ln1: [ones(H), zeros(H)], ff1: [w([H, FF]), zeros(FF)], ff2: [w([FF, H]), zeros(H)], ln2: [ones(H), zeros(H)],
  }));
  const tr = [w([H, H]), zeros(H)] as const, trLn = [ones(H), zeros(H)] as const, outBias = zeros(V);

  const ids = tf.tensor1d(mulberryInts(N, V, 7), 'int32');
  const posIds = tf.tensor1d(Int32Array.from({ length: N }, (_, i) => i % T), 'int32');
  const typIds = tf.zeros([N], 'int32') as tf.Tensor1D;
  const labelsOneHot = tf.oneHot(tf.tensor1d(mulberryInts(N, V, 8), 'int32'), V).toFloat();
  const bias = tf.zeros([B, 1, 1, T]);

  const dense = (x: tf.Tensor2D, [W, b]: readonly tf.Variable[]) => tf.add(tf.matMul(x, W!), b!) as tf.Tensor2D;
  const ln = (x: tf.Tensor2D, [g, b]: readonly tf.Variable[]) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-12))), g!), b!) as tf.Tensor2D;
  };
  const gelu = (x: tf.Tensor2D) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)) as tf.Tensor2D;
  const heads = (x: tf.Tensor2D) => tf.transpose(tf.reshape(x, [B, T, NH, HD]), [0, 2, 1, 3]);

  const lossFn = (): tf.Scalar => {
    let h = ln(tf.add(tf.add(embed(word, ids), embed(pos, posIds)), embed(typ, typIds)) as tf.Tensor2D, embLn);
    for (const l of layers) {
      const q = heads(dense(h, l.q)), k = heads(dense(h, l.k)), v = heads(dense(h, l.v));
      const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(HD)), bias);
      const ctx = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores), v), [0, 2, 1, 3]), [N, H]) as tf.Tensor2D;
      h = ln(tf.add(h, dense(ctx, l.o)) as tf.Tensor2D, l.ln1);
      h = ln(tf.add(h, dense(gelu(dense(h, l.ff1)), l.ff2)) as tf.Tensor2D, l.ln2);
    }
    const t = ln(gelu(dense(h, tr)), trLn);
    const logits = tf.add(tf.matMul(t, word, false, true), outBias);
    return tf.neg(tf.mean(tf.sum(tf.mul(labelsOneHot, tf.logSoftmax(logits)), -1)));
  };
  const opt = tf.train.adam(1e-4);
  return {
    step: async () => {
      const loss = opt.minimize(lossFn, true, vars)!;
      const v = (await loss.data())[0]!;
      loss.dispose();
      return v;
    },
    forward: async () => {
      const loss = tf.tidy(lossFn);
      await loss.data();
      loss.dispose();
    },
    dispose: () => {
      tf.dispose([...vars, ids, posIds, typIds, labelsOneHot, bias]);
      opt.dispose();
    },
  };
}
