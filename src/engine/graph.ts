// Symbolic tensors and the graph that records the ops between them. A Tensor is only a handle:
// its values exist while a compiled graph runs on ONNX Runtime (see session.ts).

export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool';
/** A dimension: a fixed size, or a name (e.g. "batch") fixed only when the graph runs. */
export type Dim = number | string;
export type Shape = Dim[];

export type AttrValue = number | string | number[] | { float: number } | { floats: number[] } | { tensor: ConstData };

export type SourceKind = 'input' | 'param' | 'const' | 'op';

export interface ConstData {
  dtype: DType;
  shape: number[];
  values: ArrayLike<number> | ArrayLike<bigint>;
}

export class Node {
  constructor(
    readonly id: number,
    readonly op: string,
    readonly inputs: Tensor[],
    readonly attrs: Record<string, AttrValue>,
    public outputs: Tensor[] = [],
    /** ONNX domain; '' is the default ai.onnx domain. */
    readonly domain = '',
  ) {}
}

export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly dtype: DType,
    readonly shape: Shape,
    readonly kind: SourceKind,
    readonly name: string,
    /** The node that computes this tensor (kind 'op'), with this tensor at position `outputIndex`. */
    readonly producer: Node | null = null,
    readonly outputIndex = 0,
    readonly constData: ConstData | null = null,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  toString(): string {
    return `${this.name}<${this.dtype}>[${this.shape.join(',')}]`;
  }
}

export class GraphError extends Error {
  override name = 'GraphError';
}

/** Records inputs, parameters, constants and op nodes. One graph per model/program. */
export class Graph {
  readonly nodes: Node[] = [];
  readonly tensors: Tensor[] = [];
  private nextId = 0;
  private names = new Set<string>();
  /** Integer/scalar constants are shared so repeated ops don't multiply initializers. */
  private constCache = new Map<string, Tensor>();

  private uniqueName(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  /** A value fed at every run (token ids, masks, labels). */
  input(name: string, dtype: DType, shape: Shape): Tensor {
    if (this.names.has(name)) throw new GraphError(`input name "${name}" is already used in this graph`);
    return this.add(new Tensor(this, this.nextId++, dtype, shape, 'input', this.uniqueName(name)));
  }

  /** A trainable (or frozen) float32 parameter; its values live in JS memory and are fed at run. */
  param(name: string, shape: number[]): Tensor {
    if (this.names.has(name)) throw new GraphError(`parameter name "${name}" is already used in this graph`);
    return this.add(new Tensor(this, this.nextId++, 'float32', shape, 'param', this.uniqueName(name)));
  }

  /** A constant baked into the serialized model as an initializer. */
  constant(dtype: DType, shape: number[], values: ArrayLike<number> | ArrayLike<bigint>, name = 'const'): Tensor {
    const size = shape.reduce((a, b) => a * b, 1);
    if (values.length !== size) throw new GraphError(`constant ${name}: ${values.length} values for shape [${shape}]`);
    const small = size <= 16;
    const key = small ? `${dtype}|${shape.join(',')}|${Array.from(values as ArrayLike<number>).join(',')}` : '';
    if (small && this.constCache.has(key)) return this.constCache.get(key)!;
    const t = this.add(new Tensor(this, this.nextId++, dtype, shape, 'const', this.uniqueName(name), null, 0, { dtype, shape, values }));
    if (small) this.constCache.set(key, t);
    return t;
  }

  /** Appends a node; `outs` gives dtype and shape of each output (from the op's shape rule). */
  addNode(op: string, inputs: Tensor[], attrs: Record<string, AttrValue>, outs: Array<{ dtype: DType; shape: Shape }>, domain = ''): Tensor[] {
    for (const t of inputs) {
      if (t.graph !== this) throw new GraphError(`${op}: input ${t} belongs to another graph`);
    }
    const node = new Node(this.nodes.length, op, inputs, attrs, [], domain);
    this.nodes.push(node);
    node.outputs = outs.map((o, i) =>
      this.add(new Tensor(this, this.nextId++, o.dtype, o.shape, 'op', this.uniqueName(`${op.toLowerCase()}${node.id}${outs.length > 1 ? `_${i}` : ''}`), node, i)),
    );
    return node.outputs;
  }

  private add(t: Tensor): Tensor {
    this.tensors.push(t);
    return t;
  }

  get params(): Tensor[] {
    return this.tensors.filter((t) => t.kind === 'param');
  }

  get inputs(): Tensor[] {
    return this.tensors.filter((t) => t.kind === 'input');
  }
}

/** Nodes needed to compute `outputs`, in execution (creation) order. */
export function ancestors(outputs: Tensor[]): Node[] {
  const seen = new Set<Node>();
  const stack = outputs.map((t) => t.producer).filter((n): n is Node => n !== null);
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const i of n.inputs) if (i.producer && !seen.has(i.producer)) stack.push(i.producer);
  }
  return [...seen].sort((a, b) => a.id - b.id);
}
