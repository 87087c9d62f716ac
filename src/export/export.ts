// `tuneshot export`: one call for every deployment target, from any model folder.
//   gguf: one GGUF file for llama.cpp / Ollama (f32, f16, q8_0 or q4_0), and with `ollama` a Modelfile;
//   onnx: the folder transformers.js loads (config.json, tokenizer files, onnx/model.onnx and, with
//         int8, onnx/model_quantized.onnx whose weight MatMuls are dynamic int8).
// Output goes to a new folder, written atomically (see out-folder.ts).
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { TOKENIZER_FILES } from '../formats/checkpoint.js';
import { checkpointToGguf, type GgufKV } from '../formats/gguf.js';
import { GGUF_QUANTS, isGgufQuant, type GgufQuant } from '../formats/gguf-quant.js';
import type { TransformerModel } from '../models/model.js';
import { loadExportSource, type ExportKind, type ExportSource } from './load.js';
import { ollamaModelfile } from './modelfile.js';
import { buildExportGraph } from './onnx-graph.js';
import { encodeModel, toModelProto } from './onnx-model.js';
import { quantizeDynamicInt8 } from './quantize-int8.js';
import { EXPORT_MARKER, checkOutFolder, writeOutFolder } from './out-folder.js';

export const EXPORT_FORMATS = ['gguf', 'onnx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const ONNX_QUANTS = ['f32', 'int8'] as const;
export type OnnxQuant = (typeof ONNX_QUANTS)[number];

export interface ExportOptions {
  /** A model folder, an embedded model name, a PEFT LoRA adapter folder, or a loaded model. */
  model: string | TransformerModel;
  format: ExportFormat;
  /** gguf: f32 | f16 | q8_0 | q4_0 (default f16). onnx: f32 (model.onnx only) | int8 (default: model.onnx and model_quantized.onnx). */
  quant?: string;
  /** New folder to write (or a previous export to replace). */
  out: string;
  /** gguf, decoders: also write an Ollama Modelfile. */
  ollama?: boolean;
  /** Progress and warnings, one line each. */
  onLog?: (line: string) => void;
}

export interface ExportResult {
  out: string;
  format: ExportFormat;
  quant: string;
  kind: ExportKind;
  files: Array<{ name: string; bytes: number }>;
  warnings: string[];
}

/** Checks options before any work; errors name the option. */
export function checkExportOptions(o: Pick<ExportOptions, 'format' | 'quant' | 'out' | 'ollama'>): { format: ExportFormat; quant: string } {
  if (!(EXPORT_FORMATS as readonly string[]).includes(o.format)) throw new Error(`--format must be one of ${EXPORT_FORMATS.join(', ')}, got "${o.format}"`);
  if (typeof o.out !== 'string' || o.out.trim() === '') throw new Error('--out: give the folder to write');
  const quant = o.quant ?? (o.format === 'gguf' ? 'f16' : 'int8');
  if (o.format === 'gguf' && !isGgufQuant(quant)) throw new Error(`--quant for gguf must be one of ${GGUF_QUANTS.join(', ')}, got "${quant}"`);
  if (o.format === 'onnx' && !(ONNX_QUANTS as readonly string[]).includes(quant)) throw new Error(`--quant for onnx must be one of ${ONNX_QUANTS.join(', ')}, got "${quant}"`);
  if (o.ollama && o.format !== 'gguf') throw new Error('--ollama needs --format gguf');
  checkOutFolder(o.out);
  return { format: o.format as ExportFormat, quant };
}

export async function exportModel(opts: ExportOptions): Promise<ExportResult> {
  const { format, quant } = checkExportOptions(opts);
  const log = opts.onLog ?? (() => undefined);
  const src = await loadExportSource(opts.model);
  if (src.mergedAdapter) log(`merged the LoRA adapter ${src.mergedAdapter} into its base model`);
  if (opts.ollama && src.kind !== 'decoder') throw new Error(`--ollama: ${src.from} is ${src.kind === 'classifier' ? 'a classifier' : 'an encoder'}; Ollama runs language models (decoders)`);
  const warnings: string[] = [];
  const warn = (w: string) => { warnings.push(w); log(`warning: ${w}`); };
  const files: ExportResult['files'] = [];
  const marker = { tuneshot_export: 1, format, quant, kind: src.kind, source: src.from, merged_adapter: src.mergedAdapter ?? null, model_type: src.model.config.modelType };
  const out = await writeOutFolder(opts.out, marker, async (dir) => {
    if (format === 'gguf') await writeGgufExport(dir, src, quant as GgufQuant, !!opts.ollama, log, warn);
    else await writeOnnxExport(dir, src, quant as OnnxQuant, log, warn);
    for (const f of await listFiles(dir)) files.push({ name: f, bytes: (await fsp.stat(path.join(dir, f))).size });
  });
  files.push({ name: EXPORT_MARKER, bytes: (await fsp.stat(path.join(out, EXPORT_MARKER))).size });
  return { out, format, quant, kind: src.kind, files, warnings };
}

async function listFiles(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fsp.readdir(path.join(dir, rel), { withFileTypes: true })) {
    const name = path.join(rel, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(dir, name)));
    else out.push(name);
  }
  return out.sort();
}

// ---- GGUF ----

async function writeGgufExport(dir: string, src: ExportSource, quant: GgufQuant, ollama: boolean, log: (s: string) => void, warn: (s: string) => void): Promise<void> {
  const m = src.model;
  if (src.kind === 'classifier') warn('GGUF holds the model body (and LM head); llama.cpp has no classification head for it. Deploy the classifier with --format onnx');
  const tensors = new Map(m.params.names().map((n) => [n, { shape: m.params.get(n)!.shape, data: m.params.get(n)!.data as Float32Array }]));
  const file = `model-${quant}.gguf`;
  log(`writing ${file} (${quant})`);
  const gguf = await checkpointToGguf(m.config.raw, tensors, src.tokenizerDir, path.join(dir, file), { quant });
  if (!ollama) return;
  const md = new Map((Array.isArray(gguf.metadata) ? gguf.metadata : gguf.metadata.entries).map((kv: GgufKV) => [kv.key, kv.value]));
  const tokens = md.get('tokenizer.ggml.tokens') as string[];
  const types = md.get('tokenizer.ggml.token_type') as number[];
  const id = (k: string) => (typeof md.get(k) === 'number' ? tokens[md.get(k) as number] : undefined);
  const arch = String(md.get('general.architecture'));
  const { text, warnings } = ollamaModelfile({
    gguf: file,
    chatTemplate: md.get('tokenizer.chat_template') as string | undefined,
    bosToken: id('tokenizer.ggml.bos_token_id'),
    eosToken: id('tokenizer.ggml.eos_token_id'),
    addBos: md.get('tokenizer.ggml.add_bos_token') === true,
    specialTokens: tokens.filter((_, i) => types[i] === 3),
    contextLength: Math.min(Number(md.get(`${arch}.context_length`) ?? 2048), 8192),
  });
  warnings.forEach(warn);
  await fsp.writeFile(path.join(dir, 'Modelfile'), text);
  log('writing Modelfile');
}

// ---- ONNX for transformers.js ----

const ARCH_PREFIX: Record<string, string> = { bert: 'Bert', roberta: 'Roberta', distilbert: 'DistilBert', modernbert: 'ModernBert', llama: 'Llama', qwen2: 'Qwen2', qwen3: 'Qwen3', mistral: 'Mistral', gpt2: 'GPT2' };

/** The class transformers.js (and transformers) instantiate for this export. */
export function onnxArchitecture(modelType: string, kind: ExportKind): string {
  const p = ARCH_PREFIX[modelType] ?? modelType;
  if (kind === 'classifier') return `${p}ForSequenceClassification`;
  if (kind === 'encoder') return `${p}Model`;
  return modelType === 'gpt2' ? 'GPT2LMHeadModel' : `${p}ForCausalLM`;
}

async function writeOnnxExport(dir: string, src: ExportSource, quant: OnnxQuant, log: (s: string) => void, warn: (s: string) => void): Promise<void> {
  const m = src.model;
  if (src.kind === 'classifier' && m.family.kind !== 'encoder') warn(`transformers.js has no ${onnxArchitecture(m.config.modelType, 'classifier')}: the graph runs on ONNX Runtime (inputs input_ids, attention_mask, position_ids; output logits), not in pipeline('text-classification')`);
  const config: Record<string, unknown> = { ...m.config.raw, architectures: [onnxArchitecture(m.config.modelType, src.kind)] };
  if (src.kind === 'decoder') config['use_cache'] = true;
  await fsp.writeFile(path.join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  if (src.kind === 'decoder') {
    const eos = m.config.eosTokenId ?? m.tokenizer?.eosId;
    const gen = { bos_token_id: m.config.bosTokenId, eos_token_id: eos, pad_token_id: m.config.padTokenId ?? eos };
    await fsp.writeFile(path.join(dir, 'generation_config.json'), JSON.stringify(gen, null, 2) + '\n');
  }
  let copied = 0;
  for (const f of TOKENIZER_FILES) {
    const from = path.join(src.tokenizerDir, f);
    try {
      await fsp.copyFile(from, path.join(dir, f));
      copied++;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  if (copied === 0) throw new Error(`${src.tokenizerDir}: no tokenizer files to copy`);
  // transformers.js reads tokenizer_config.json as well as tokenizer.json; a folder without one gets a minimal one.
  const tc = path.join(dir, 'tokenizer_config.json');
  if (!(await fsp.stat(tc).catch(() => undefined))) await fsp.writeFile(tc, JSON.stringify({ model_max_length: m.config.maxPositions }, null, 2) + '\n');
  await fsp.mkdir(path.join(dir, 'onnx'));
  const task = src.kind === 'classifier' ? 'classifier' : src.kind === 'encoder' ? 'encoder' : 'decoder';
  const graph = () => buildExportGraph(m, { task, numLabels: src.labels.length, pooling: src.pooling });
  log('writing onnx/model.onnx (float32)');
  await fsp.writeFile(path.join(dir, 'onnx', 'model.onnx'), encodeModel(toModelProto(graph(), m.params)));
  if (quant === 'int8') {
    const proto = toModelProto(graph(), m.params);
    const r = quantizeDynamicInt8(proto);
    log(`writing onnx/model_quantized.onnx (${r.matmuls} MatMuls in int8)`);
    await fsp.writeFile(path.join(dir, 'onnx', 'model_quantized.onnx'), encodeModel(proto));
  }
}
