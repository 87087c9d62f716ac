// A gradient check for every op that has a rule: analytic against central finite differences,
// in float64 where ONNX Runtime's CPU kernels support the op, else float32 with a looser tolerance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as o from '../../src/engine/ops.js';
import { RULES } from '../../src/engine/grad.js';
import { CheckCase, gradCheck } from './gradcheck.js';
import { Graph, GraphError, Tensor } from '../../src/engine/graph.js';
import { Program } from '../../src/engine/session.js';

const TOL = { float64: 1e-5, float32: 3e-2 };
const pos = (v: number) => Math.abs(v) + 0.5;
const i64 = (x: Tensor, vals: number[], shape: number[]) => x.graph.constant('int64', shape, vals.map(BigInt), 'idx');

const cases: Record<string, CheckCase[]> = {
  Identity: [{ shapes: [[2, 3]], build: ([a]) => o.identity(a!) }],
  Add: [{ shapes: [[2, 3], [3]], build: ([a, b]) => o.add(a!, b!) }, { shapes: [[2, 1, 3], [4, 1]], build: ([a, b]) => o.add(a!, b!) }],
  Sub: [{ shapes: [[2, 1, 3], [4, 1]], build: ([a, b]) => o.sub(a!, b!) }],
  Mul: [{ shapes: [[2, 3], [2, 1]], build: ([a, b]) => o.mul(a!, b!) }],
  Div: [{ shapes: [[2, 3], [1, 3]], build: ([a, b]) => o.div(a!, b!), init: (v, i) => (i === 1 ? pos(v) : v) }],
  Pow: [{ shapes: [[2, 3], [3]], build: ([a, b]) => o.pow(a!, b!), init: pos }, { shapes: [[4]], build: ([a]) => o.pow(a!, 3), init: pos }],
  Max: [{ shapes: [[2, 3], [3]], build: ([a, b]) => o.max(a!, b!) }],
  Neg: [{ shapes: [[5]], build: ([a]) => o.neg(a!) }],
  Sqrt: [{ shapes: [[5]], build: ([a]) => o.sqrt(a!), init: pos }],
  Exp: [{ shapes: [[2, 3]], build: ([a]) => o.exp(a!) }],
  Log: [{ shapes: [[2, 3]], build: ([a]) => o.log(a!), init: pos }],
  Erf: [{ shapes: [[2, 3]], build: ([a]) => o.erf(a!) }],
  Tanh: [{ shapes: [[2, 3]], build: ([a]) => o.tanh(a!) }],
  Sigmoid: [{ shapes: [[2, 3]], build: ([a]) => o.sigmoid(a!) }],
  Relu: [{ shapes: [[2, 3]], build: ([a]) => o.relu(a!), init: (v) => (v > 0 ? v + 0.1 : v - 0.1) }],
  Cos: [{ shapes: [[2, 3]], build: ([a]) => o.cos(a!) }],
  Sin: [{ shapes: [[2, 3]], build: ([a]) => o.sin(a!) }],
  Cast: [{ shapes: [[2, 3]], build: ([a]) => o.cast(o.cast(a!, 'float64'), 'float32'), float32Only: true }],
  Where: [{ shapes: [[2, 3], [3]], build: ([a, b]) => o.where(a!.graph.constant('bool', [2, 3], [1, 0, 1, 0, 0, 1]), a!, b!) }],
  MatMul: [
    { shapes: [[2, 3, 4], [4, 5]], build: ([a, b]) => o.matmul(a!, b!) },
    { shapes: [[2, 3, 4], [2, 4, 5]], build: ([a, b]) => o.matmul(a!, b!) },
    { shapes: [[3, 4], [2, 4, 5]], build: ([a, b]) => o.matmul(a!, b!) },
  ],
  Reshape: [{ shapes: [[2, 3, 4]], build: ([a]) => o.reshape(a!, [0, -1]) }],
  Transpose: [{ shapes: [[2, 3, 4]], build: ([a]) => o.transpose(a!, [2, 0, 1]) }],
  Unsqueeze: [{ shapes: [[2, 3]], build: ([a]) => o.unsqueeze(a!, [1, -1]) }],
  Squeeze: [{ shapes: [[2, 1, 3]], build: ([a]) => o.squeeze(a!, [1]) }],
  Expand: [{ shapes: [[3, 1]], build: ([a]) => o.expand(a!, [2, 3, 4]) }],
  Concat: [{ shapes: [[2, 3], [2, 2]], build: ([a, b]) => o.concat([a!, b!], 1) }],
  Slice: [{ shapes: [[2, 6]], build: ([a]) => o.slice(a!, 1, 1, 4) }, { shapes: [[5, 2]], build: ([a]) => o.slice(a!, 0, 2, Infinity) }],
  Split: [{ shapes: [[2, 5]], build: ([a]) => { const [p, q] = o.split(a!, 1, [2, 3]); return o.add(o.reduceSum(p!, [1], true), q!); } }],
  Gather: [
    { shapes: [[5, 3]], build: ([a]) => o.gather(a!, i64(a!, [1, 3, 1, 0, 4, 1], [2, 3])) },
    { shapes: [[2, 5, 3]], build: ([a]) => o.gather(a!, i64(a!, [4, 0, 4], [3]), 1) },
  ],
  ReduceSum: [{ shapes: [[2, 3, 4]], build: ([a]) => o.reduceSum(a!, [1]) }, { shapes: [[2, 3, 4]], build: ([a]) => o.reduceSum(a!, [0, 2], true) }],
  ReduceMean: [{ shapes: [[2, 3, 4]], build: ([a]) => o.reduceMean(a!, [-1]) }],
  ReduceMax: [{ shapes: [[2, 3, 4]], build: ([a]) => o.reduceMax(a!, [1], true) }],
  Softmax: [{ shapes: [[2, 5]], build: ([a]) => o.softmax(a!) }, { shapes: [[2, 3, 4]], build: ([a]) => o.softmax(a!, 1) }],
  LogSoftmax: [{ shapes: [[2, 5]], build: ([a]) => o.logSoftmax(a!) }],
  LayerNormalization: [{ shapes: [[2, 3, 5], [5], [5]], build: ([a, s, b]) => o.layerNorm(a!, s!, b!) }],
  SoftmaxCrossEntropyLoss: [{ shapes: [[4, 5]], build: ([a]) => o.crossEntropy(a!, i64(a!, [0, -100, 3, 1], [4])) }],
};

test('every op with a gradient rule has a gradient check here', () => {
  const untested = Object.keys(RULES).filter((op) => !(op in cases) && op !== 'Dropout');
  assert.deepEqual(untested, []);
});

for (const [op, list] of Object.entries(cases)) {
  test(`gradient of ${op}`, async () => {
    for (const [i, c] of list.entries()) {
      let dtype: 'float64' | 'float32' = 'float64';
      let err: number;
      try {
        if (c.float32Only) throw new GraphError('ONNX Runtime rejected: float32 only');
        err = await gradCheck(c, 'float64');
      } catch (e) {
        // ORT has no float64 kernel for this op: check in float32 with the looser tolerance.
        if (!(e instanceof GraphError) || !/ONNX Runtime rejected/.test(e.message)) throw e;
        dtype = 'float32';
        err = await gradCheck(c, 'float32');
      }
      assert.ok(err < TOL[dtype], `${op} case ${i} (${dtype}): worst relative error ${err}`);
    }
  });
}

// Soft-label cross-entropy (distillation) is composed of ops with rules: check its gradient as a
// whole, and that one-hot targets give exactly the hard-label loss.
test('gradient of softCrossEntropy; one-hot targets equal crossEntropy', async () => {
  const probs = [0.7, 0.1, 0.1, 0.05, 0.05, 0, 0, 1, 0, 0, 0.2, 0.2, 0.2, 0.2, 0.2, 0.5, 0.5, 0, 0, 0];
  const soft: CheckCase = { shapes: [[4, 5]], build: ([a]) => o.softCrossEntropy(a!, a!.graph.constant(a!.dtype, [4, 5], probs, 'targets')) };
  const err = await gradCheck(soft, 'float64');
  assert.ok(err < TOL.float64, `softCrossEntropy: worst relative error ${err}`);

  const g = new Graph();
  const logits = g.input('logits', 'float32', [3, 4]);
  const hard = o.crossEntropy(logits, i64(logits, [2, 0, 3], [3]));
  const oneHot = o.softCrossEntropy(logits, g.constant('float32', [3, 4], [0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1], 'onehot'));
  const values = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i * 1.7) * 3);
  const [h, s] = await new Program([hard, oneHot]).run({ logits: { data: values, shape: [3, 4] } });
  assert.ok(Math.abs(Number(h!.data[0]) - Number(s!.data[0])) < 1e-6, `${h!.data[0]} vs ${s!.data[0]}`);
  assert.throws(() => o.softCrossEntropy(logits, g.input('t', 'float32', [3, 5])), /disagree on C/);
});
