// A transformer of any supported family with its parameters (Hugging Face names) and tokenizer:
// load/save as a Hugging Face folder, build forward/training graphs for each head, run batches.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Graph, ParamStore, Program, Tensor, mulberry32, normalArray, ops as o, subSeed } from '../engine/index.js';
import { readCheckpoint, writeCheckpoint } from '../formats/checkpoint.js';
import { Tokenizer } from '../formats/tokenizer.js';
import { ModelConfig, parseConfig } from './config.js';
import { Builder, ForwardInputs, LoraSpec } from './layers.js';
import { isAnyHeadParam } from './families/index.js';
import type { ModelFamily } from './family.js';
import { baseModelOf, modelCard } from './model-card.js';

export type Head = 'base' | 'mlm' | 'clm' | 'cls';

export class ModelError extends Error {
  override name = 'ModelError';
}

export interface GraphOptions {
  head: Head;
  training?: boolean;
  numLabels?: number;
  /** Encoders: pool the first token ([CLS]) or the mean of real tokens. */
  pooling?: 'cls' | 'mean';
  /** Decoders: take past keys/values and return present ones. */
  kvCache?: boolean;
  /** MLM training: compute the head only at the masked positions (fed as flat indices). */
  maskedOnly?: boolean;
  dropoutSeed?: number;
  /** Training graph without dropout (exactly reproducible across resumes). */
  noDropout?: boolean;
  /** Add LoRA adapters to the target linear layers. */
  lora?: LoraSpec;
}

export interface BuiltGraph {
  graph: Graph;
  inputs: ForwardInputs & { lastIndex?: Tensor; maskedIndex?: Tensor; labels?: Tensor; mask?: Tensor };
  logits: Tensor;
  loss?: Tensor;
  hidden: Tensor;
  present?: Array<{ k: Tensor; v: Tensor }>;
}

const isNorm = (name: string) => /(LayerNorm|layer_norm|layernorm|ln_1|ln_2|ln_f|\.norm|_norm)\.(weight|bias)$/.test(name);

/** Parameters that exist only for a task head (the family says which) and may be freshly initialized when fine-tuning. */
export function isHeadParam(name: string): boolean {
  return isLoraParam(name) || isAnyHeadParam(name);
}

export const isLoraParam = (name: string) => /\.lora_[AB]\.weight$/.test(name);

export class TransformerModel {
  private programs = new Map<string, { program: Program; built: BuiltGraph }>();

  constructor(
    readonly config: ModelConfig,
    readonly params: ParamStore,
    public tokenizer?: Tokenizer,
    /** Folder the model was loaded from (its tokenizer files are copied on save). */
    readonly sourceDir?: string,
  ) {}

  /** The model's family: everything tuneshot knows about its architecture (families/<name>.ts). */
  get family(): ModelFamily {
    return this.config.family;
  }
  /** The Hub id, embedded name or folder name the model was loaded as. */
  get name(): string {
    const o = this.config.origin;
    return o?.kind === 'hub' ? o.id : o?.kind === 'embedded' ? o.name : path.basename(this.sourceDir ?? 'model');
  }
  get labels(): string[] {
    const m = this.config.id2label;
    if (!m) return [];
    return Object.keys(m).sort((a, b) => Number(a) - Number(b)).map((k) => m[k]!);
  }

  /** Build a forward graph (and the loss when training) for one head. */
  build(opts: GraphOptions): BuiltGraph {
    const g = new Graph();
    const cfg = this.config, fam = cfg.family, encoder = fam.kind === 'encoder';
    const b = new Builder(g, cfg, !!opts.training && !opts.noDropout, opts.dropoutSeed ?? 0, opts.lora);
    const inputs: BuiltGraph['inputs'] = {
      ids: g.input('input_ids', 'int64', ['batch', 'seq']),
      positions: g.input('position_ids', 'int64', ['batch', 'seq']),
      attnBias: g.input('attention_bias', 'float32', ['batch', 1, 'query', 'key']),
    };
    if (encoder && cfg.typeVocabSize > 0) inputs.tokenTypes = g.input('token_type_ids', 'int64', ['batch', 'seq']);
    if (opts.kvCache) {
      if (encoder) throw new ModelError('a KV cache is for decoders only');
      inputs.past = Array.from({ length: cfg.layers }, (_, i) => ({
        k: g.input(`past_key_values.${i}.key`, 'float32', ['batch', cfg.kvHeads, 'past', cfg.headDim]),
        v: g.input(`past_key_values.${i}.value`, 'float32', ['batch', cfg.kvHeads, 'past', cfg.headDim]),
      }));
    }
    const fwd = fam.forward(b, inputs);
    const h = fwd.hidden;
    let logits: Tensor;
    let loss: Tensor | undefined;
    switch (opts.head) {
      case 'base':
        logits = h;
        break;
      case 'mlm': {
        if (!encoder) throw new ModelError(`masked-LM head needs an encoder, not ${cfg.modelType}`);
        if (opts.maskedOnly) {
          inputs.maskedIndex = g.input('masked_index', 'int64', ['masked']);
          logits = fam.lmHead(b, o.gather(o.reshape(h, [-1, cfg.hidden]), inputs.maskedIndex));
        } else logits = fam.lmHead(b, h);
        break;
      }
      case 'clm':
        if (encoder) throw new ModelError(`causal-LM head needs a decoder, not ${cfg.modelType}`);
        logits = fam.lmHead(b, h);
        break;
      case 'cls': {
        const n = opts.numLabels ?? this.labels.length;
        if (!n) throw new ModelError('sequence classification needs numLabels (or id2label in config.json)');
        logits = fam.classifierHead(b, h, n, opts.pooling ?? fam.defaultPooling?.(cfg) ?? 'cls', {
          mask: () => (inputs.mask ??= g.input('attention_mask', 'float32', ['batch', 'seq'])),
          lastIndex: () => (inputs.lastIndex ??= g.input('last_index', 'int64', ['batch'])),
        });
        break;
      }
    }
    if (opts.training && opts.head !== 'base') {
      inputs.labels = g.input('labels', 'int64', ['n']);
      const flat = logits.rank === 3 ? o.reshape(logits, [-1, logits.shape[2] as number]) : logits;
      loss = o.crossEntropy(flat, inputs.labels);
    }
    return { graph: g, inputs, logits, loss, hidden: h, present: fwd.present };
  }

  /** Names and shapes of every parameter a head needs. */
  paramSpec(opts: GraphOptions): Map<string, number[]> {
    return new Map(this.build({ ...opts, training: false }).graph.params.map((p) => [p.name, p.shape as number[]]));
  }

  /**
   * Make sure every parameter of `opts`'s graph has a value of the right shape: missing task-head
   * parameters are initialized (seeded); anything else missing or misshapen is an error naming it.
   */
  ensureParams(opts: GraphOptions, seed = 0, where = this.sourceDir ?? 'model'): string[] {
    const created: string[] = [];
    for (const [name, shape] of this.paramSpec(opts)) {
      const have = this.params.get(name);
      if (have) {
        if (have.shape.join() !== shape.join()) throw new ModelError(`${where}: tensor ${name} has shape [${have.shape}] but config.json implies [${shape}]`);
        continue;
      }
      if (!isHeadParam(name)) throw new ModelError(`${where}: missing tensor ${name}`);
      this.params.set(name, shape, initValue(name, shape, seed));
      created.push(name);
    }
    return created;
  }

  /** A compiled inference program for these options (cached per model). */
  program(opts: GraphOptions, outputs: (b: BuiltGraph) => Tensor[] = (b) => [b.logits]): { program: Program; built: BuiltGraph } {
    const key = JSON.stringify(opts) + outputs.toString();
    let p = this.programs.get(key);
    if (!p) {
      const built = this.build(opts);
      p = { program: new Program(outputs(built)), built };
      this.programs.set(key, p);
    }
    return p;
  }

  numParams(): number {
    return this.params.count();
  }

  // ---- construction, loading and saving ----

  /** A freshly initialized model (normal(0, 0.02) weights, zero biases, unit norms), seeded. */
  static fromConfig(raw: Record<string, unknown>, opts: { seed: number; head: Head; tokenizer?: Tokenizer; numLabels?: number }): TransformerModel {
    const cfg = parseConfig(raw);
    const m = new TransformerModel(cfg, new ParamStore(), opts.tokenizer);
    for (const [name, shape] of m.paramSpec({ head: opts.head, numLabels: opts.numLabels })) m.params.set(name, shape, initValue(name, shape, opts.seed));
    return m;
  }

  /** Load a Hugging Face model folder (config.json, safetensors, tokenizer files). */
  static async load(dir: string): Promise<TransformerModel> {
    const ck = await readCheckpoint(dir);
    const cfg = parseConfig(ck.config, path.join(dir, 'config.json'));
    const params = new ParamStore();
    const prefix = cfg.family.prefix(cfg.modelType);
    for (const [name, t] of ck.tensors) {
      // Base-model checkpoints name the body without the task prefix (e.g. "embeddings..." not "bert.embeddings...").
      const full = cfg.family.bareModules.some((p) => name.startsWith(p)) ? `${prefix}.${name}` : name;
      params.set(full, t.shape, t.data);
    }
    const tokenizer = existsSync(path.join(dir, 'tokenizer.json')) ? await Tokenizer.fromFolder(dir) : undefined;
    const m = new TransformerModel(cfg, params, tokenizer, dir);
    m.ensureParams({ head: 'base' }, 0, path.join(dir, 'model.safetensors'));
    return m;
  }

  /** Write a Hugging Face folder; `architecture` and `labels` update config.json. Atomic. */
  async save(dir: string, opts: { architecture?: string; labels?: string[]; extraConfig?: Record<string, unknown>; only?: (name: string) => boolean; card?: boolean } = {}): Promise<void> {
    const raw: Record<string, unknown> = { ...this.config.raw, ...(opts.extraConfig ?? {}) };
    if (opts.architecture) raw['architectures'] = [opts.architecture];
    if (opts.labels) {
      raw['id2label'] = Object.fromEntries(opts.labels.map((l, i) => [String(i), l]));
      raw['label2id'] = Object.fromEntries(opts.labels.map((l, i) => [l, i]));
      raw['num_labels'] = opts.labels.length;
    }
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const name of this.params.names()) {
      if (opts.only && !opts.only(name)) continue;
      const v = this.params.get(name)!;
      tensors.set(name, { shape: v.shape, data: v.data as Float32Array });
    }
    // Provenance: the base model (Hub id + commit) in config.json, and a model card saying the same.
    const base = baseModelOf(this.config);
    if (base) raw['tuneshot_base_model'] = base;
    const card = base && opts.card !== false ? { 'README.md': modelCard(path.basename(path.resolve(dir)), raw, base) } : undefined;
    const tmpTok = this.sourceDir ?? this.tokenizerDir;
    await writeCheckpoint(dir, { config: raw, tensors, tokenizerFrom: tmpTok, ...(card ? { extraFiles: card } : {}) });
  }

  /** Where this model's tokenizer files live when it was not loaded from a folder. */
  tokenizerDir?: string;
}

/** Initial value of a parameter by its HF name: norms 1/0, biases 0, everything else normal(0, 0.02). */
export function initValue(name: string, shape: number[], seed: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  // LoRA: B starts at zero so the adapted model starts exactly at the base model; A like PEFT's Kaiming-uniform.
  if (name.endsWith('.lora_B.weight')) return new Float32Array(n);
  if (name.endsWith('.lora_A.weight')) {
    const r = mulberry32(subSeed(seed, name)), bound = 1 / Math.sqrt(shape[1]!);
    return Float32Array.from({ length: n }, () => (r() * 2 - 1) * bound);
  }
  if (isNorm(name)) return name.endsWith('.weight') ? new Float32Array(n).fill(1) : new Float32Array(n);
  if (name.endsWith('bias')) return new Float32Array(n);
  return normalArray(n, 0.02, mulberry32(subSeed(seed, name)));
}
