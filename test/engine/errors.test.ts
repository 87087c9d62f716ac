// Bad graphs fail at build time with errors that name the op and the shapes, never from inside ORT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph, GraphError, Program, grad, host, ops as o } from '../../src/engine/index.js';

test('shape mismatch names the op and both shapes', () => {
  const g = new Graph();
  const a = g.input('a', 'float32', [2, 3]), b = g.input('b', 'float32', [4, 5]);
  assert.throws(() => o.matmul(a, b), (e: Error) => e instanceof GraphError && /MatMul/.test(e.message) && /\[2,3\]/.test(e.message) && /\[4,5\]/.test(e.message));
  assert.throws(() => o.add(a, b), /Add: shapes \[2,3\] and \[4,5\] do not broadcast/);
  assert.throws(() => o.reshape(a, [4, 2]), /Reshape: cannot reshape \[2,3\]/);
  assert.throws(() => o.concat([a, b], 0), /Concat/);
});

test('unknown op is named before ONNX Runtime sees it', () => {
  const g = new Graph();
  const a = g.input('a', 'float32', [2]);
  const [y] = g.addNode('FancyNorm', [a], {}, [{ dtype: 'float32', shape: [2] }]);
  assert.throws(() => new Program([y!]), /unknown op "FancyNorm"/);
});

test('gradient through a non-differentiable op names the op', () => {
  const g = new Graph();
  const w = g.param('w', [3]);
  const hit = o.cast(o.equal(w, 0), 'float32');
  const loss = o.reduceSum(hit, [0]);
  assert.throws(() => grad(loss, [w]), /w gets no gradient.*Equal/);
  const [y] = g.addNode('Round', [w], {}, [{ dtype: 'float32', shape: [3] }]);
  assert.throws(() => grad(o.reduceSum(y!, [0]), [w]), /no gradient rule for op Round/);
});

test('feeding the wrong shape names the input', async () => {
  const g = new Graph();
  const a = g.input('a', 'float32', ['N', 3]);
  const p = new Program([o.exp(a)]);
  await assert.rejects(p.run({ a: host.f32([1, 2], [1, 2]) }), /input a: expected \[N,3\], got \[1,2\]/);
  await assert.rejects(p.run({}), /missing input a/);
});

test('dropout: gradient is the upstream gradient through the kept mask, scaled by 1/(1-p)', async () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [1000]);
  const y = o.dropout(x, 0.25, 11);
  const loss = o.reduceSum(o.mul(y, 3), [0]);
  const dx = grad(loss, [x]).get(x)!;
  const xs = Array.from({ length: 1000 }, (_, i) => 1 + (i % 7));
  const [yv, dxv] = await new Program([y, dx]).run({ x: host.f32(xs, [1000]) });
  let kept = 0;
  for (let i = 0; i < 1000; i++) {
    const keep = (yv!.data as Float32Array)[i] !== 0;
    kept += Number(keep);
    assert.ok(Math.abs((dxv!.data as Float32Array)[i]! - (keep ? 3 / 0.75 : 0)) < 1e-5);
  }
  assert.ok(kept > 650 && kept < 850, `kept ${kept} of 1000 at p=0.25`);
});
