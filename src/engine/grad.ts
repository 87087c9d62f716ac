// Reverse-mode autodiff: one table of gradient rules (one short rule per op) and one generic
// reverse walk that appends the gradient nodes to the same graph.
import { GraphError, Node, Tensor, ancestors } from './graph.js';
import * as o from './ops.js';

type Grads = Array<Tensor | null>;
/** Given the node and the gradient of each of its outputs (null: none flows back), the gradient of each input. */
type Rule = (node: Node, g: Grads) => Grads;

const isFloat = (t: Tensor) => t.dtype === 'float32' || t.dtype === 'float64';

/** Sum `g` over the axes along which `target` was broadcast, then give it `target`'s shape. */
export function unbroadcast(g: Tensor, target: Tensor): Tensor {
  const lead = g.rank - target.rank;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead) axes.push(i);
    else if (target.shape[i - lead] === 1 && g.shape[i] !== 1) axes.push(i);
  }
  if (axes.length === 0) return g;
  const summed = o.reduceSum(g, axes, true);
  return lead > 0 ? o.reshapeLike(summed, target) : summed;
}

/** Read the static int64 axes (or other ints) stored in a constant input. */
function constInts(t: Tensor | undefined, op: string): number[] {
  if (!t?.constData) throw new GraphError(`${op}: gradient needs constant axes/sizes`);
  return Array.from(t.constData.values as ArrayLike<bigint | number>, (v) => Number(v));
}

function reduceAxes(node: Node): number[] {
  return constInts(node.inputs[1], node.op);
}
/** Gradient of a reduction output, unsqueezed back (when keepdims=0) and broadcast to the input. */
function spreadBack(node: Node, g: Tensor): Tensor {
  const x = node.inputs[0]!;
  const kept = node.attrs['keepdims'] === 1 ? g : o.unsqueeze(g, reduceAxes(node));
  return o.expandAs(kept, x);
}

const first = (f: (n: Node, g: Tensor) => Grads): Rule => (n, g) => (g[0] ? f(n, g[0]) : n.inputs.map(() => null));
const x0 = (n: Node) => n.inputs[0]!;
const y0 = (n: Node) => n.outputs[0]!;

export const RULES: Record<string, Rule> = {
  Identity: first((n, g) => [g]),
  Add: first((n, g) => [unbroadcast(g, n.inputs[0]!), unbroadcast(g, n.inputs[1]!)]),
  Sub: first((n, g) => [unbroadcast(g, n.inputs[0]!), unbroadcast(o.neg(g), n.inputs[1]!)]),
  Mul: first((n, g) => [unbroadcast(o.mul(g, n.inputs[1]!), n.inputs[0]!), unbroadcast(o.mul(g, n.inputs[0]!), n.inputs[1]!)]),
  Div: first((n, g) => [unbroadcast(o.div(g, n.inputs[1]!), n.inputs[0]!), unbroadcast(o.neg(o.div(o.mul(g, y0(n)), n.inputs[1]!)), n.inputs[1]!)]),
  Pow: first((n, g) => {
    const [a, b] = n.inputs as [Tensor, Tensor];
    return [unbroadcast(o.mul(g, o.mul(b, o.pow(a, o.sub(b, 1)))), a), unbroadcast(o.mul(g, o.mul(y0(n), o.log(a))), b)];
  }),
  Max: first((n, g) => {
    const [a, b] = n.inputs as [Tensor, Tensor];
    const m = o.cast(o.not(o.less(a, b)), g.dtype);
    return [unbroadcast(o.mul(g, m), a), unbroadcast(o.mul(g, o.sub(o.scalarLike(m, 1), m)), b)];
  }),
  Neg: first((n, g) => [o.neg(g)]),
  Sqrt: first((n, g) => [o.div(g, o.mul(y0(n), 2))]),
  Exp: first((n, g) => [o.mul(g, y0(n))]),
  Log: first((n, g) => [o.div(g, x0(n))]),
  Erf: first((n, g) => [o.mul(g, o.mul(o.exp(o.neg(o.mul(x0(n), x0(n)))), 2 / Math.sqrt(Math.PI)))]),
  Tanh: first((n, g) => [o.mul(g, o.sub(o.scalarLike(g, 1), o.mul(y0(n), y0(n))))]),
  Sigmoid: first((n, g) => [o.mul(g, o.mul(y0(n), o.sub(o.scalarLike(g, 1), y0(n))))]),
  Relu: first((n, g) => [o.mul(g, o.cast(o.greater(x0(n), 0), g.dtype))]),
  Cos: first((n, g) => [o.neg(o.mul(g, o.sin(x0(n))))]),
  Sin: first((n, g) => [o.mul(g, o.cos(x0(n)))]),
  Cast: first((n, g) => [isFloat(x0(n)) ? o.cast(g, x0(n).dtype) : null]),
  Where: first((n, g) => {
    const [c, a, b] = n.inputs as [Tensor, Tensor, Tensor];
    const zero = o.scalarLike(g, 0);
    return [null, unbroadcast(o.where(c, g, zero), a), unbroadcast(o.where(c, zero, g), b)];
  }),
  MatMul: first((n, g) => {
    const [a, b] = n.inputs as [Tensor, Tensor];
    const da = unbroadcast(o.matmul(g, o.transposeLast(b)), a);
    // A weight [k, n] shared by a batch of activations: fold the batch into one big MatMul.
    const db = b.rank === 2 && a.rank > 2
      ? o.matmul(o.transposeLast(o.reshape(a, [-1, a.shape[a.rank - 1] as number])), o.reshape(g, [-1, g.shape[g.rank - 1] as number]))
      : unbroadcast(o.matmul(o.transposeLast(a), g), b);
    return [da, db];
  }),
  Reshape: first((n, g) => [o.reshapeLike(g, x0(n)), null]),
  Unsqueeze: first((n, g) => [o.reshapeLike(g, x0(n)), null]),
  Squeeze: first((n, g) => [o.reshapeLike(g, x0(n)), null]),
  Expand: first((n, g) => [unbroadcast(g, x0(n)), null]),
  Transpose: first((n, g) => {
    const perm = n.attrs['perm'] as number[];
    const inv = perm.map((_, i) => perm.indexOf(i));
    return [o.transpose(g, inv)];
  }),
  Concat: first((n, g) => {
    const sizes = n.inputs.map((t) => t.shape[n.attrs['axis'] as number]);
    if (!sizes.every((s) => typeof s === 'number')) throw new GraphError(`Concat: gradient needs static sizes along axis, got [${sizes}]`);
    return n.inputs.length === 1 ? [g] : o.split(g, n.attrs['axis'] as number, sizes as number[]);
  }),
  Split: (n, gs) => {
    if (gs.every((g) => !g)) return [null, null];
    const parts = gs.map((g, i) => g ?? o.zerosLike(n.outputs[i]!));
    return [o.concat(parts, n.attrs['axis'] as number), null];
  },
  Slice: first((n, g) => {
    const x = x0(n);
    const [start] = constInts(n.inputs[1], 'Slice'), [end] = constInts(n.inputs[2], 'Slice'), [axis] = constInts(n.inputs[3], 'Slice');
    const d = x.shape[axis!];
    if (typeof d !== 'number') throw new GraphError(`Slice: gradient needs a static size on axis ${axis} (${x})`);
    const s = start! < 0 ? start! + d : start!, e = Math.min(d, end! < 0 ? end! + d : end!);
    return [o.pad(g, axis!, s, d - e), null, null, null];
  }),
  Gather: first((n, g) => {
    const [data, idx] = n.inputs as [Tensor, Tensor];
    const axis = n.attrs['axis'] as number;
    const ids = o.unsqueeze(o.cast(idx, 'int64'), [-1]);
    if (axis === 0) return [o.scatterNDAdd(o.zerosLike(data), ids, g), null];
    // Move the gathered axis to the front, scatter-add there, and move it back.
    const r = data.rank, ri = idx.rank;
    const dataPerm = [axis, ...data.shape.map((_, i) => i).filter((i) => i !== axis)];
    const gPerm = [...Array.from({ length: ri }, (_, i) => axis + i), ...Array.from({ length: axis }, (_, i) => i), ...Array.from({ length: r - axis - 1 }, (_, i) => axis + ri + i)];
    const scattered = o.scatterNDAdd(o.zerosLike(o.transpose(data, dataPerm)), ids, o.transpose(g, gPerm));
    return [o.transpose(scattered, dataPerm.map((_, i) => dataPerm.indexOf(i))), null];
  }),
  ReduceSum: first((n, g) => [spreadBack(n, g), null]),
  ReduceMean: first((n, g) => [o.div(spreadBack(n, g), o.div(o.sizeOf(x0(n), g.dtype), o.sizeOf(y0(n), g.dtype))), null]),
  ReduceMax: first((n, g) => {
    const x = x0(n);
    const yk = n.attrs['keepdims'] === 1 ? y0(n) : o.unsqueeze(y0(n), reduceAxes(n));
    const mask = o.cast(o.equal(x, yk), g.dtype);
    const count = o.reduceSum(mask, reduceAxes(n), true);
    return [o.div(o.mul(mask, spreadBack(n, g)), count), null];
  }),
  Softmax: first((n, g) => {
    const y = y0(n), axis = n.attrs['axis'] as number;
    return [o.mul(y, o.sub(g, o.reduceSum(o.mul(g, y), [axis], true)))];
  }),
  LogSoftmax: first((n, g) => {
    const y = y0(n), axis = n.attrs['axis'] as number;
    return [o.sub(g, o.mul(o.exp(y), o.reduceSum(g, [axis], true)))];
  }),
  LayerNormalization: first((n, g) => {
    const [x, scale, bias] = n.inputs as [Tensor, Tensor, Tensor];
    const [, mean, invStd] = n.outputs as [Tensor, Tensor, Tensor];
    const xhat = o.mul(o.sub(x, mean), invStd);
    const dxhat = o.mul(g, scale);
    const dx = o.mul(invStd, o.sub(o.sub(dxhat, o.reduceMean(dxhat, [-1], true)), o.mul(xhat, o.reduceMean(o.mul(dxhat, xhat), [-1], true))));
    return [dx, unbroadcast(o.mul(g, xhat), scale), unbroadcast(g, bias)];
  }),
  Dropout: first((n, g) => {
    const ratio = Number((n.inputs[1]!.constData!.values as ArrayLike<number>)[0]);
    return [o.mul(o.mul(g, o.cast(n.outputs[1]!, g.dtype)), 1 / (1 - ratio)), null, null];
  }),
  SoftmaxCrossEntropyLoss: first((n, g) => {
    const [logits, labels] = n.inputs as [Tensor, Tensor];
    const logProb = n.outputs[1]!;
    const classes = logits.shape[1];
    if (typeof classes !== 'number') throw new GraphError(`SoftmaxCrossEntropyLoss: gradient needs a static class count (${logits})`);
    const valid = o.not(o.equal(labels, o.scalar(labels.graph, n.attrs['ignore_index'] as number, 'int64')));
    const safe = o.where(valid, labels, o.scalar(labels.graph, 0, 'int64'));
    const validF = o.cast(valid, g.dtype);
    const count = o.max(o.reduceSum(validF, [0]), 1);
    const diff = o.sub(o.exp(logProb), o.oneHot(safe, classes, g.dtype));
    return [o.mul(o.mul(diff, o.unsqueeze(validF, [1])), o.div(g, count)), null];
  }),
};

/** Ops whose outputs carry no gradient (comparisons, shapes, indices): paths through them stop. */
const NON_DIFFERENTIABLE = new Set(['Equal', 'Less', 'Greater', 'Not', 'And', 'Shape', 'Size', 'ArgMax', 'OneHot', 'ConstantOfShape', 'Range']);

/**
 * Append to the graph the gradient of scalar `loss` with respect to each of `params`.
 * Fan-out is accumulated by summation; integer tensors never receive gradients.
 */
export function grad(loss: Tensor, params: Tensor[]): Map<Tensor, Tensor> {
  return gradWithDeferred(loss, params).grads;
}

/** An embedding-table gradient left for the host: scatter-add rows of `grad` into `param` at `indices`. */
export interface DeferredScatter {
  param: Tensor;
  indices: Tensor;
  grad: Tensor;
}

/**
 * Like grad(), but the gradients of Gather (axis 0) into the tables in `hostScatter` are returned
 * as (indices, row gradients) pairs instead of a ScatterND node. Why: ONNX Runtime's multi-threaded
 * ScatterND with reduction="add" sums duplicate indices in a varying order, so embedding gradients
 * differed in the last bits from run to run on 2 threads; a scatter-add on the host is ordered, and
 * cheap (one pass over batch x hidden values).
 */
export function gradWithDeferred(loss: Tensor, params: Tensor[], hostScatter: Set<Tensor> = new Set()): { grads: Map<Tensor, Tensor>; deferred: DeferredScatter[] } {
  if (!isFloat(loss) || !loss.shape.every((d) => d === 1)) throw new GraphError(`grad: loss must be a float scalar, got ${loss}`);
  const nodes = ancestors([loss]);
  const wanted = new Set(params);
  const requires = new Set<Tensor>(params);
  for (const n of nodes) {
    if (NON_DIFFERENTIABLE.has(n.op)) continue;
    if (!n.inputs.some((t) => requires.has(t) && isFloat(t))) continue;
    if (!RULES[n.op]) throw new GraphError(`grad: no gradient rule for op ${n.op} (node ${n.id}), which lies between the parameters and the loss`);
    for (const out of n.outputs) if (isFloat(out)) requires.add(out);
  }
  const acc = new Map<Tensor, Tensor>();
  const push = (t: Tensor, g: Tensor) => {
    const prev = acc.get(t);
    acc.set(t, prev ? o.add(prev, g) : g);
  };
  push(loss, o.scalarLike(loss, 1));
  const deferred: DeferredScatter[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (!n.outputs.some((t) => acc.has(t))) continue;
    if (!n.inputs.some((t) => requires.has(t))) continue;
    if (n.op === 'Gather' && n.attrs['axis'] === 0 && hostScatter.has(n.inputs[0]!)) {
      deferred.push({ param: n.inputs[0]!, indices: n.inputs[1]!, grad: acc.get(n.outputs[0]!)! });
      continue;
    }
    const inGrads = RULES[n.op]!(n, n.outputs.map((t) => acc.get(t) ?? null));
    n.inputs.forEach((t, j) => {
      const g = inGrads[j];
      if (g && requires.has(t) && isFloat(t)) push(t, g);
    });
  }
  const result = new Map<Tensor, Tensor>();
  for (const p of wanted) {
    const g = acc.get(p);
    if (!g && deferred.some((d) => d.param === p)) continue;
    if (!g) throw new GraphError(`grad: ${p.name} gets no gradient from the loss: ${blockingOp(p, nodes) ?? 'the loss does not depend on it'}`);
    result.set(p, g);
  }
  return { grads: result, deferred };
}

/** Explain why a parameter gets no gradient: the first non-differentiable op it reaches. */
function blockingOp(p: Tensor, nodes: Node[]): string | null {
  const reach = new Set<Tensor>([p]);
  for (const n of nodes) {
    if (!n.inputs.some((t) => reach.has(t))) continue;
    if (NON_DIFFERENTIABLE.has(n.op) || (n.op === 'Cast' && !isFloat(n.outputs[0]!))) return `it reaches the loss only through the non-differentiable op ${n.op} (node ${n.id})`;
    for (const out of n.outputs) reach.add(out);
  }
  return null;
}
