// What an export starts from: any model folder, embedded model or Hub id the loader accepts, with LoRA
// adapters merged into the weights first. A PEFT adapter folder (adapter_config.json +
// adapter_model.safetensors, as `tuneshot finetune --method lora` writes beside its merged model)
// is applied to its base_model_name_or_path and merged.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { readSafetensors } from '../formats/safetensors.js';
import type { LoraSpec } from '../models/layers.js';
import { TransformerModel } from '../models/model.js';
import { parseConfig } from '../models/config.js';
import { resolveModel } from '../models/resolve.js';
import { loadPretrained } from '../models/pretrained.js';
import { mergeLora } from '../train/finetune.js';

export type ExportKind = 'classifier' | 'encoder' | 'decoder';

export interface ExportSource {
  model: TransformerModel;
  kind: ExportKind;
  labels: string[];
  pooling?: 'cls' | 'mean';
  /** Folder the tokenizer files come from. */
  tokenizerDir: string;
  /** Where it came from, for the export's record. */
  from: string;
  mergedAdapter?: string;
}

const PEFT_PREFIX = 'base_model.model.';

function readAdapterConfig(dir: string): Record<string, unknown> {
  const file = path.join(dir, 'adapter_config.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}

/** Base model + PEFT LoRA adapter, merged: W' = W + (alpha / r) B A. */
async function loadAdapter(dir: string): Promise<{ model: TransformerModel; base: string }> {
  const cfgFile = path.join(dir, 'adapter_config.json');
  const cfg = readAdapterConfig(dir);
  if (cfg['peft_type'] !== 'LORA') throw new Error(`${cfgFile}: peft_type ${JSON.stringify(cfg['peft_type'])} is not LORA`);
  const baseName = cfg['base_model_name_or_path'];
  if (typeof baseName !== 'string' || !baseName) throw new Error(`${cfgFile}: no base_model_name_or_path to merge the adapter into`);
  // A relative base path is relative to the adapter folder's parent when it exists there (PEFT writes what it was given).
  const candidates = [baseName, path.resolve(dir, '..', baseName)];
  const local = candidates.map((c) => { try { return resolveModel(c); } catch { return undefined; } }).find((d): d is string => !!d);
  // Not a folder nor cached: a Hub id (PEFT records those), downloaded by the loader; its errors name the fix.
  const base = await loadPretrained(local ?? baseName);
  const baseDir = base.sourceDir!;
  const r = Number(cfg['r']), alpha = Number(cfg['lora_alpha']);
  if (!Number.isInteger(r) || r <= 0 || !Number.isFinite(alpha)) throw new Error(`${cfgFile}: r and lora_alpha must be numbers (r a positive integer)`);
  const weightsFile = path.join(dir, 'adapter_model.safetensors');
  if (!existsSync(weightsFile)) throw new Error(`${weightsFile}: missing (only safetensors adapters are read)`);
  const tensors = await readSafetensors(weightsFile);
  const spec: LoraSpec = { r, alpha, dropout: 0, targetModules: (cfg['target_modules'] as string[]) ?? [], fanInFanOut: cfg['fan_in_fan_out'] === true };
  let adapters = 0;
  for (const [name, t] of tensors) {
    if (!name.startsWith(PEFT_PREFIX)) throw new Error(`${weightsFile}: tensor ${name} is not named ${PEFT_PREFIX}<module> as PEFT names them`);
    const full = name.slice(PEFT_PREFIX.length).replace('.lora_A.default.', '.lora_A.').replace('.lora_B.default.', '.lora_B.');
    if (/\.lora_[AB]\.weight$/.test(full)) {
      const mod = full.replace(/\.lora_[AB]\.weight$/, '');
      const w = base.params.get(`${mod}.weight`);
      if (!w) throw new Error(`${weightsFile}: adapter for ${mod}, which the base model has no weight for`);
      adapters++;
    }
    base.params.set(full, t.shape, Float32Array.from(t.data));
  }
  if (adapters === 0) throw new Error(`${weightsFile}: no lora_A / lora_B tensors`);
  const merged = mergeLora(base, spec);
  return { model: withAdapterLabels(merged, dir), base: baseDir };
}

/**
 * A sequence-classification adapter carries its head (modules_to_save) but not its labels: they are
 * in the config.json of the fine-tuned folder the adapter sits in (tuneshot's layout, <model>/adapter),
 * else they are named LABEL_0.. as transformers names unnamed labels.
 */
function withAdapterLabels(model: TransformerModel, dir: string): TransformerModel {
  const head = model.params.get('classifier.weight') ?? model.params.get('classifier.out_proj.weight') ?? model.params.get('score.weight');
  if (!head || model.labels.length > 0) return model;
  const n = head.shape[0]!;
  let extra: Record<string, unknown> = {};
  try {
    const parent = JSON.parse(readFileSync(path.join(dir, '..', 'config.json'), 'utf8')) as Record<string, unknown>;
    if (parent['id2label'] && Object.keys(parent['id2label'] as object).length === n) extra = { id2label: parent['id2label'], label2id: parent['label2id'], tuneshot: parent['tuneshot'] };
  } catch { /* no fine-tuned folder around the adapter */ }
  if (!extra['id2label']) extra = { id2label: Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i), `LABEL_${i}`])) };
  const m = new TransformerModel(parseConfig({ ...model.config.raw, ...extra, num_labels: n }), model.params, model.tokenizer, model.sourceDir);
  m.tokenizerDir = model.tokenizerDir;
  return m;
}

/** A PEFT adapter folder: adapter_config.json and no model config (tuneshot's adapter/ holds an empty config.json). */
function isAdapterFolder(dir: string): boolean {
  if (!existsSync(path.join(dir, 'adapter_config.json'))) return false;
  try {
    return !(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>)['model_type'];
  } catch {
    return true;
  }
}

/** Load `name` (folder, embedded model name or PEFT adapter folder) ready to export. */
export async function loadExportSource(name: string | TransformerModel): Promise<ExportSource> {
  let model: TransformerModel, mergedAdapter: string | undefined, tokenizerDir: string | undefined;
  const from = typeof name === 'string' ? name : (name.sourceDir ?? 'model');
  if (typeof name !== 'string') model = name;
  else if (isAdapterFolder(name)) {
    const a = await loadAdapter(name);
    model = a.model;
    mergedAdapter = name;
    tokenizerDir = existsSync(path.join(name, 'tokenizer.json')) ? name : a.base;
  } else model = await loadPretrained(name);
  tokenizerDir ??= model.sourceDir ?? model.tokenizerDir;
  if (!tokenizerDir || !existsSync(path.join(tokenizerDir, 'tokenizer.json'))) throw new Error(`${from}: no tokenizer.json to export with the model`);
  for (const n of model.params.names()) if (/\.lora_[AB]\.weight$/.test(n)) throw new Error(`${from}: holds LoRA tensor ${n} beside the base weights; export the merged folder or the adapter folder`);
  const labels = model.labels;
  const tuneshot = model.config.raw['tuneshot'] as { pooling?: 'cls' | 'mean' } | undefined;
  const kind: ExportKind = labels.length > 0 ? 'classifier' : model.family.kind === 'encoder' ? 'encoder' : 'decoder';
  // Every tensor the exported graph reads must be there: never export a freshly initialized head.
  const spec = kind === 'classifier' ? model.paramSpec({ head: 'cls', numLabels: labels.length, pooling: tuneshot?.pooling }) : kind === 'decoder' ? model.paramSpec({ head: 'clm' }) : undefined;
  if (spec) {
    for (const [n, shape] of spec) {
      const have = model.params.get(n);
      if (!have) throw new Error(`${from}: tensor ${n} is missing`);
      if (have.shape.join() !== shape.join()) throw new Error(`${from}: tensor ${n} has shape [${have.shape}], the config implies [${shape}]`);
    }
  }
  return { model, kind, labels, pooling: tuneshot?.pooling, tokenizerDir, from, mergedAdapter };
}
