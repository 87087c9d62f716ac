// Op constructors. Each checks its inputs' shapes at build time and names the op and the shapes
// when they don't fit, so a bad model fails here and never as an opaque error inside ONNX Runtime.
import { DType, Dim, Graph, GraphError, Shape, Tensor } from './graph.js';

const isFloat = (d: DType) => d === 'float32' || d === 'float64';

function fail(op: string, msg: string, ...ts: Tensor[]): never {
  throw new GraphError(`${op}: ${msg}${ts.length ? ` (${ts.map(String).join(', ')})` : ''}`);
}

function sameGraph(op: string, ts: Tensor[]): Graph {
  const g = ts[0]!.graph;
  for (const t of ts) if (t.graph !== g) fail(op, 'inputs come from different graphs', ...ts);
  return g;
}

function normAxis(op: string, axis: number, rank: number, t: Tensor): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) fail(op, `axis ${axis} is out of range for rank ${rank}`, t);
  return a;
}

/** Numpy-style broadcast of two shapes; symbolic dims broadcast only against 1 or themselves. */
export function broadcastShapes(op: string, a: Tensor, b: Tensor): Shape {
  const ra = a.shape.length, rb = b.shape.length, r = Math.max(ra, rb);
  const out: Dim[] = [];
  for (let i = 0; i < r; i++) {
    const da = i < r - ra ? 1 : a.shape[i - (r - ra)]!;
    const db = i < r - rb ? 1 : b.shape[i - (r - rb)]!;
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    // Two differently named symbolic dims may well be equal at run time (ORT checks them then).
    else if (typeof da === 'string' && typeof db === 'string') out.push(da);
    else fail(op, `shapes [${a.shape}] and [${b.shape}] do not broadcast at axis ${i}`, a, b);
  }
  return out;
}

function checkDtypes(op: string, ts: Tensor[]): DType {
  const d = ts[0]!.dtype;
  for (const t of ts) if (t.dtype !== d) fail(op, `dtype mismatch ${ts.map((x) => x.dtype).join(' vs ')}`, ...ts);
  return d;
}

// ---- constants -------------------------------------------------------------------------------

export function scalar(g: Graph, value: number, dtype: DType = 'float32'): Tensor {
  return g.constant(dtype, [], dtype === 'int64' ? [BigInt(value)] : [value], 'scalar');
}
export function ints(g: Graph, values: number[]): Tensor {
  return g.constant('int64', [values.length], values.map((v) => BigInt(v)), 'ints');
}
/** A scalar constant of the same dtype as `like`. */
export function scalarLike(like: Tensor, value: number): Tensor {
  return scalar(like.graph, value, like.dtype);
}

// ---- elementwise -----------------------------------------------------------------------------

function binary(op: string, a: Tensor, b: Tensor, outDtype?: DType): Tensor {
  const g = sameGraph(op, [a, b]);
  const dt = checkDtypes(op, [a, b]);
  return g.addNode(op, [a, b], {}, [{ dtype: outDtype ?? dt, shape: broadcastShapes(op, a, b) }])[0]!;
}
const toTensor = (like: Tensor, x: Tensor | number) => (typeof x === 'number' ? scalarLike(like, x) : x);

export const add = (a: Tensor, b: Tensor | number) => binary('Add', a, toTensor(a, b));
export const sub = (a: Tensor, b: Tensor | number) => binary('Sub', a, toTensor(a, b));
export const mul = (a: Tensor, b: Tensor | number) => binary('Mul', a, toTensor(a, b));
export const div = (a: Tensor, b: Tensor | number) => binary('Div', a, toTensor(a, b));
export const pow = (a: Tensor, b: Tensor | number) => binary('Pow', a, toTensor(a, b));
export const equal = (a: Tensor, b: Tensor | number) => binary('Equal', a, toTensor(a, b), 'bool');
export const less = (a: Tensor, b: Tensor | number) => binary('Less', a, toTensor(a, b), 'bool');
export const greater = (a: Tensor, b: Tensor | number) => binary('Greater', a, toTensor(a, b), 'bool');
export const and = (a: Tensor, b: Tensor) => binary('And', a, b, 'bool');
export const max = (a: Tensor, b: Tensor | number) => binary('Max', a, toTensor(a, b));

function unary(op: string, x: Tensor, floatOnly = true, attrs = {}): Tensor {
  if (floatOnly && !isFloat(x.dtype)) fail(op, `needs a float input`, x);
  return x.graph.addNode(op, [x], attrs, [{ dtype: x.dtype, shape: x.shape }])[0]!;
}
export const neg = (x: Tensor) => unary('Neg', x, false);
export const sqrt = (x: Tensor) => unary('Sqrt', x);
export const exp = (x: Tensor) => unary('Exp', x);
export const log = (x: Tensor) => unary('Log', x);
export const erf = (x: Tensor) => unary('Erf', x);
export const tanh = (x: Tensor) => unary('Tanh', x);
export const sigmoid = (x: Tensor) => unary('Sigmoid', x);
export const relu = (x: Tensor) => unary('Relu', x);
export const cos = (x: Tensor) => unary('Cos', x);
export const sin = (x: Tensor) => unary('Sin', x);
export const identity = (x: Tensor) => unary('Identity', x, false);
export const not = (x: Tensor) => x.graph.addNode('Not', [x], {}, [{ dtype: 'bool', shape: x.shape }])[0]!;

export function cast(x: Tensor, to: DType): Tensor {
  if (x.dtype === to) return x;
  return x.graph.addNode('Cast', [x], { to: onnxDtypeCode(to) }, [{ dtype: to, shape: x.shape }])[0]!;
}

export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const g = sameGraph('Where', [cond, a, b]);
  if (cond.dtype !== 'bool') fail('Where', 'condition must be bool', cond);
  const dt = checkDtypes('Where', [a, b]);
  const ab = broadcastShapes('Where', a, b);
  const shape = broadcastShapes('Where', cond, { shape: ab } as Tensor);
  return g.addNode('Where', [cond, a, b], {}, [{ dtype: dt, shape }])[0]!;
}

// ---- linear algebra --------------------------------------------------------------------------

/** Batched MatMul with numpy semantics: [..., m, k] x [..., k, n]. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const g = sameGraph('MatMul', [a, b]);
  const dt = checkDtypes('MatMul', [a, b]);
  if (a.rank < 2 || b.rank < 2) fail('MatMul', 'inputs need rank >= 2', a, b);
  const k1 = a.shape[a.rank - 1]!, k2 = b.shape[b.rank - 2]!;
  if (k1 !== k2 && typeof k1 === 'number' && typeof k2 === 'number') fail('MatMul', `inner dimensions differ: ${k1} vs ${k2}`, a, b);
  const batchA = { shape: a.shape.slice(0, -2) } as Tensor, batchB = { shape: b.shape.slice(0, -2) } as Tensor;
  const batch = broadcastShapes('MatMul', batchA, batchB);
  return g.addNode('MatMul', [a, b], {}, [{ dtype: dt, shape: [...batch, a.shape[a.rank - 2]!, b.shape[b.rank - 1]!] }])[0]!;
}

// ---- shape ops -------------------------------------------------------------------------------

/** Reshape; in `shape`, 0 copies the input dim at that position and -1 is inferred (ONNX rules). */
export function reshape(x: Tensor, shape: number[]): Tensor {
  const out: Dim[] = shape.map((d, i) => {
    if (d === 0) {
      if (i >= x.rank) fail('Reshape', `0 at position ${i} but input has rank ${x.rank}`, x);
      return x.shape[i]!;
    }
    return d;
  });
  const inferred = out.indexOf(-1);
  const staticIn = x.shape.every((d) => typeof d === 'number');
  const known = out.filter((d, i) => i !== inferred);
  if (staticIn && known.every((d) => typeof d === 'number')) {
    const total = (x.shape as number[]).reduce((a, b) => a * b, 1);
    const part = (known as number[]).reduce((a, b) => a * b, 1);
    if (inferred >= 0) {
      if (total % part !== 0) fail('Reshape', `cannot reshape [${x.shape}] to [${shape}]`, x);
      out[inferred] = total / part;
    } else if (total !== part) fail('Reshape', `cannot reshape [${x.shape}] (${total} elements) to [${shape}] (${part})`, x);
  } else if (inferred >= 0) {
    // Symbolic: the inferred dim is the product of the input dims not copied through (by name).
    const rest = x.shape.filter((d, i) => !(shape[i] === 0));
    const num = rest.filter((d) => typeof d === 'string');
    const statics = rest.filter((d): d is number => typeof d === 'number').reduce((a, b) => a * b, 1);
    const outStatic = (known.filter((d) => typeof d === 'number') as number[]).reduce((a, b) => a * b, 1);
    const factor = statics / outStatic;
    out[inferred] = [...num, ...(factor !== 1 ? [String(factor)] : [])].join('*') || 1;
  }
  return x.graph.addNode('Reshape', [x, ints(x.graph, shape)], {}, [{ dtype: x.dtype, shape: out }])[0]!;
}

/** Reshape `x` to the (runtime) shape of `like`. */
export function reshapeLike(x: Tensor, like: Tensor): Tensor {
  return x.graph.addNode('Reshape', [x, shapeOf(like)], {}, [{ dtype: x.dtype, shape: like.shape }])[0]!;
}

export function shapeOf(x: Tensor): Tensor {
  return x.graph.addNode('Shape', [x], {}, [{ dtype: 'int64', shape: [x.rank] }])[0]!;
}

export function transpose(x: Tensor, perm: number[]): Tensor {
  if (perm.length !== x.rank || [...perm].sort().some((p, i) => p !== i)) fail('Transpose', `perm [${perm}] is not a permutation of rank ${x.rank}`, x);
  return x.graph.addNode('Transpose', [x], { perm }, [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]!) }])[0]!;
}
/** Swap the last two axes. */
export function transposeLast(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 1], perm[x.rank - 2]] = [perm[x.rank - 2]!, perm[x.rank - 1]!];
  return transpose(x, perm);
}

export function unsqueeze(x: Tensor, axes: number[]): Tensor {
  const r = x.rank + axes.length;
  const norm = axes.map((a) => (a < 0 ? a + r : a)).sort((a, b) => a - b);
  const out: Dim[] = [];
  let j = 0;
  for (let i = 0; i < r; i++) out.push(norm.includes(i) ? 1 : x.shape[j++]!);
  return x.graph.addNode('Unsqueeze', [x, ints(x.graph, norm)], {}, [{ dtype: x.dtype, shape: out }])[0]!;
}

export function squeeze(x: Tensor, axes: number[]): Tensor {
  const norm = axes.map((a) => normAxis('Squeeze', a, x.rank, x));
  for (const a of norm) if (x.shape[a] !== 1) fail('Squeeze', `axis ${a} has size ${x.shape[a]}, not 1`, x);
  return x.graph.addNode('Squeeze', [x, ints(x.graph, norm)], {}, [{ dtype: x.dtype, shape: x.shape.filter((_, i) => !norm.includes(i)) }])[0]!;
}

/** Broadcast `x` to the runtime shape of `like` (output shape = broadcast of both). */
export function expandAs(x: Tensor, like: Tensor): Tensor {
  return x.graph.addNode('Expand', [x, shapeOf(like)], {}, [{ dtype: x.dtype, shape: broadcastShapes('Expand', x, like) }])[0]!;
}
export function expand(x: Tensor, shape: number[]): Tensor {
  const out = broadcastShapes('Expand', x, { shape } as Tensor);
  return x.graph.addNode('Expand', [x, ints(x.graph, shape)], {}, [{ dtype: x.dtype, shape: out }])[0]!;
}

export function concat(xs: Tensor[], axis: number): Tensor {
  const op = 'Concat';
  const g = sameGraph(op, xs);
  const dt = checkDtypes(op, xs);
  const r = xs[0]!.rank;
  const a = normAxis(op, axis, r, xs[0]!);
  const out = [...xs[0]!.shape];
  const along: Dim[] = [];
  for (const t of xs) {
    if (t.rank !== r) fail(op, 'ranks differ', ...xs);
    for (let i = 0; i < r; i++) if (i !== a && t.shape[i] !== out[i]) fail(op, `dim ${i} differs`, ...xs);
    along.push(t.shape[a]!);
  }
  out[a] = along.every((d) => typeof d === 'number') ? (along as number[]).reduce((x, y) => x + y, 0) : along.join('+');
  return g.addNode(op, xs, { axis: a }, [{ dtype: dt, shape: out }])[0]!;
}

/** Slice [start, end) along one axis with static bounds (end may be Infinity). */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const a = normAxis('Slice', axis, x.rank, x);
  const d = x.shape[a]!;
  const out = [...x.shape];
  if (typeof d === 'number') {
    const s = Math.max(0, start < 0 ? start + d : start), e = Math.min(d, end < 0 ? end + d : end);
    if (e <= s) fail('Slice', `empty slice [${start}, ${end}) of axis ${a} (size ${d})`, x);
    out[a] = e - s;
  } else if (Number.isFinite(end) && end >= 0 && start >= 0) out[a] = end - start;
  else out[a] = `${d}[${start}:${end}]`;
  const big = 2 ** 62;
  const g = x.graph;
  return g.addNode('Slice', [x, ints(g, [start]), ints(g, [Number.isFinite(end) ? end : big]), ints(g, [a])], {}, [{ dtype: x.dtype, shape: out }])[0]!;
}

export function split(x: Tensor, axis: number, sizes: number[]): Tensor[] {
  const a = normAxis('Split', axis, x.rank, x);
  const d = x.shape[a]!;
  const total = sizes.reduce((p, q) => p + q, 0);
  if (typeof d === 'number' && d !== total) fail('Split', `sizes [${sizes}] sum to ${total}, axis ${a} has ${d}`, x);
  return x.graph.addNode('Split', [x, ints(x.graph, sizes)], { axis: a }, sizes.map((s) => ({ dtype: x.dtype, shape: x.shape.map((dd, i) => (i === a ? s : dd)) })));
}

/** Gather along `axis` (axis 0 of a [vocab, hidden] table = embedding lookup). */
export function gather(data: Tensor, indices: Tensor, axis = 0): Tensor {
  if (indices.dtype !== 'int64' && indices.dtype !== 'int32') fail('Gather', 'indices must be int64 or int32', indices);
  const a = normAxis('Gather', axis, data.rank, data);
  const out = [...data.shape.slice(0, a), ...indices.shape, ...data.shape.slice(a + 1)];
  return data.graph.addNode('Gather', [data, indices], { axis: a }, [{ dtype: data.dtype, shape: out }])[0]!;
}

// ---- reductions ------------------------------------------------------------------------------

function reduce(op: string, x: Tensor, axes: number[], keepdims: boolean): Tensor {
  const norm = axes.map((a) => normAxis(op, a, x.rank, x));
  const out = keepdims ? x.shape.map((d, i) => (norm.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !norm.includes(i));
  return x.graph.addNode(op, [x, ints(x.graph, norm)], { keepdims: keepdims ? 1 : 0 }, [{ dtype: x.dtype, shape: out }])[0]!;
}
export const reduceSum = (x: Tensor, axes: number[], keepdims = false) => reduce('ReduceSum', x, axes, keepdims);
export const reduceMean = (x: Tensor, axes: number[], keepdims = false) => reduce('ReduceMean', x, axes, keepdims);
export const reduceMax = (x: Tensor, axes: number[], keepdims = false) => reduce('ReduceMax', x, axes, keepdims);
export const reduceProd = (x: Tensor, axes: number[], keepdims = false) => reduce('ReduceProd', x, axes, keepdims);

// ---- neural-network ops ----------------------------------------------------------------------

export function softmax(x: Tensor, axis = -1): Tensor {
  return unary('Softmax', x, true, { axis: normAxis('Softmax', axis, x.rank, x) });
}
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return unary('LogSoftmax', x, true, { axis: normAxis('LogSoftmax', axis, x.rank, x) });
}

/** LayerNormalization over the last axis. Outputs [y, mean, invStdDev] (the last two feed the gradient). */
export function layerNorm(x: Tensor, scale: Tensor, bias: Tensor, eps = 1e-5): Tensor {
  const h = x.shape[x.rank - 1];
  if (scale.rank !== 1 || scale.shape[0] !== h || bias.rank !== 1 || bias.shape[0] !== h) fail('LayerNormalization', `scale and bias must be [${h}]`, x, scale, bias);
  const stat = [...x.shape.slice(0, -1), 1];
  return x.graph.addNode('LayerNormalization', [x, scale, bias], { axis: -1, epsilon: { float: eps } }, [
    { dtype: x.dtype, shape: x.shape },
    { dtype: x.dtype, shape: stat },
    { dtype: x.dtype, shape: stat },
  ])[0]!;
}

/**
 * Dropout in training mode. ONNX Runtime's CPU kernel draws its mask at run n of a session from a
 * generator seeded with `seed + n` (its RandomGenerator hands out seed, seed + 1, ...), so the masks
 * are a function of (seed, run): a fresh session replays them, and one compiled with `randomRuns: n`
 * (see toOnnx) continues exactly where a session stands after n runs. Outputs [y, mask].
 */
export function dropout(x: Tensor, ratio: number, seed: number): Tensor {
  if (ratio <= 0) return x;
  const g = x.graph;
  return g.addNode('Dropout', [x, scalar(g, ratio, x.dtype), g.constant('bool', [], [1], 'training')], { seed: Math.trunc(seed) }, [
    { dtype: x.dtype, shape: x.shape },
    { dtype: 'bool', shape: x.shape },
  ])[0]!;
}

/**
 * Mean cross-entropy of logits [N, C] against int64 labels [N]; labels equal to `ignoreIndex`
 * count neither in the sum nor in the mean. Outputs [loss, logProb].
 */
export function crossEntropy(logits: Tensor, labels: Tensor, ignoreIndex = -100): Tensor {
  if (logits.rank !== 2 || labels.rank !== 1 || labels.dtype !== 'int64') fail('SoftmaxCrossEntropyLoss', 'expects logits [N, C] and int64 labels [N]', logits, labels);
  if (typeof logits.shape[0] === 'number' && typeof labels.shape[0] === 'number' && logits.shape[0] !== labels.shape[0]) fail('SoftmaxCrossEntropyLoss', 'logits and labels disagree on N', logits, labels);
  return logits.graph.addNode('SoftmaxCrossEntropyLoss', [logits, labels], { ignore_index: ignoreIndex, reduction: 'mean' }, [
    { dtype: logits.dtype, shape: [] },
    { dtype: logits.dtype, shape: logits.shape },
  ])[0]!;
}

/**
 * Mean cross-entropy of logits [N, C] against target distributions [N, C] (soft labels, e.g. a
 * teacher's probabilities): -mean_n sum_c target[n, c] log softmax(logits)[n, c]. Built from ops that
 * have gradient rules (LogSoftmax, Mul, ReduceSum, ReduceMean), so it needs no rule of its own; with
 * one-hot targets it equals crossEntropy.
 */
export function softCrossEntropy(logits: Tensor, targets: Tensor): Tensor {
  if (logits.rank !== 2 || targets.rank !== 2 || !isFloat(targets.dtype)) fail('SoftCrossEntropy', 'expects logits [N, C] and float targets [N, C]', logits, targets);
  const c1 = logits.shape[1], c2 = targets.shape[1];
  if (typeof c1 === 'number' && typeof c2 === 'number' && c1 !== c2) fail('SoftCrossEntropy', 'logits and targets disagree on C', logits, targets);
  return neg(reduceMean(reduceSum(mul(logSoftmax(logits), targets), [1]), [0]));
}

// ---- used by gradient rules ------------------------------------------------------------------

export function zerosLike(x: Tensor): Tensor {
  const value = { tensor: { dtype: x.dtype, shape: [1], values: x.dtype === 'int64' ? [0n] : [0] } };
  return x.graph.addNode('ConstantOfShape', [shapeOf(x)], { value }, [{ dtype: x.dtype, shape: x.shape }])[0]!;
}

export function scatterNDAdd(data: Tensor, indices: Tensor, updates: Tensor): Tensor {
  return data.graph.addNode('ScatterND', [data, indices, updates], { reduction: 'add' }, [{ dtype: data.dtype, shape: data.shape }])[0]!;
}

export function oneHot(indices: Tensor, depth: number, dtype: DType): Tensor {
  const g = indices.graph;
  const values = g.constant(dtype, [2], [0, 1], 'onehot_values');
  const out = g.addNode('OneHot', [indices, scalar(g, depth, 'int64'), values], { axis: -1 }, [{ dtype, shape: [...indices.shape, depth] }])[0]!;
  return out;
}

/** Number of elements of `x` (runtime), as a scalar of dtype `dtype`. */
export function sizeOf(x: Tensor, dtype: DType): Tensor {
  const n = x.graph.addNode('Size', [x], {}, [{ dtype: 'int64', shape: [] }])[0]!;
  return cast(n, dtype);
}

export function pad(x: Tensor, axis: number, before: number, after: number): Tensor {
  const r = x.rank;
  const pads = new Array(2 * r).fill(0);
  pads[axis] = before;
  pads[r + axis] = after;
  const out = x.shape.map((d, i) => (i === axis ? (typeof d === 'number' ? d + before + after : `${d}+${before + after}`) : d));
  return x.graph.addNode('Pad', [x, ints(x.graph, pads)], { mode: 'constant' }, [{ dtype: x.dtype, shape: out }])[0]!;
}

export function onnxDtypeCode(d: DType): number {
  return { float32: 1, int32: 6, int64: 7, bool: 9, float64: 11 }[d];
}

/** Index of the maximum along `axis` (int64, axis removed); not differentiable. */
export function argmax(x: Tensor, axis = -1): Tensor {
  const a = normAxis('ArgMax', axis, x.rank, x);
  return x.graph.addNode('ArgMax', [x], { axis: a, keepdims: 0 }, [{ dtype: 'int64', shape: x.shape.filter((_, i) => i !== a) }])[0]!;
}
