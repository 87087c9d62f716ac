// Central finite differences against the engine's analytic gradients.
import { DType, Graph, Tensor } from '../../src/engine/graph.js';
import * as o from '../../src/engine/ops.js';
import { grad } from '../../src/engine/grad.js';
import { Program, HostTensor } from '../../src/engine/session.js';
import { mulberry32 } from '../../src/engine/random.js';

export interface CheckCase {
  shapes: number[][];
  build: (xs: Tensor[]) => Tensor;
  /** Transform the random input values (e.g. keep them positive for Log). */
  init?: (v: number, input: number) => number;
  /** Check only in float32 (e.g. a float64->float32 Cast loses precision that finite differences need). */
  float32Only?: boolean;
}

const rng = mulberry32;

/** Returns the worst relative error |analytic - numeric| / max(1, |numeric|) over every input element. */
export async function gradCheck(c: CheckCase, dtype: DType, seed = 1): Promise<number> {
  const r = rng(seed);
  const g = new Graph();
  const xs = c.shapes.map((s, i) => g.input(`x${i}`, dtype, s));
  const y = c.build(xs);
  const size = y.shape.reduce<number>((a, d) => a * (d as number), 1);
  const weights = g.constant(dtype, y.shape as number[], Array.from({ length: size }, () => r() * 2 - 1), 'proj');
  const loss = o.reduceSum(o.mul(o.cast(y, dtype), weights), y.shape.map((_, i) => i));
  const grads = grad(loss, xs);
  const lossProgram = new Program([loss]);
  const full = new Program([loss, ...xs.map((x) => grads.get(x)!)]);
  const Arr = dtype === 'float64' ? Float64Array : Float32Array;
  const values = c.shapes.map((s, i) => Arr.from({ length: s.reduce((a, b) => a * b, 1) }, () => {
    const v = r() * 2 - 1;
    return c.init ? c.init(v, i) : v;
  }));
  const feeds = () => Object.fromEntries(values.map((v, i) => [`x${i}`, { data: v, shape: c.shapes[i]! } as HostTensor]));
  const [, ...analytic] = await full.run(feeds());
  const eps = dtype === 'float64' ? 1e-6 : 1e-2;
  let worst = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const a = analytic[i]!.data as Float32Array | Float64Array;
    for (let j = 0; j < v.length; j++) {
      const orig = v[j]!;
      v[j] = orig + eps;
      const lp = Number((await lossProgram.run(feeds()))[0]!.data[0]);
      v[j] = orig - eps;
      const lm = Number((await lossProgram.run(feeds()))[0]!.data[0]);
      v[j] = orig;
      const num = (lp - lm) / (2 * eps);
      worst = Math.max(worst, Math.abs(num - a[j]!) / Math.max(1, Math.abs(num)));
    }
  }
  return worst;
}
