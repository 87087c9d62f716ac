// LoRA (Hu et al. 2021): low-rank adapters on chosen linear layers train, with the task head; the
// body stays frozen. Saved as the merged model (loads like any other) plus a PEFT adapter.
import * as path from 'node:path';
import { ParamStore } from '../../engine/index.js';
import { writeCheckpoint } from '../../formats/checkpoint.js';
import { serializeSafetensors } from '../../formats/safetensors.js';
import type { ModelFamily } from '../../models/family.js';
import type { LoraSpec } from '../../models/layers.js';
import { TransformerModel, isHeadParam, isLoraParam } from '../../models/model.js';
import { tokenTraining } from './token-training.js';
import { saveModelFolder, taskHead, type FinetuneMethod, type SaveInput } from './method.js';

/** The layers LoRA adapts when none are named: the family's (as PEFT's defaults, e.g. the attention query and value projections). */
export function defaultLoraTargets(family: ModelFamily): string[] {
  return 'targets' in family.lora ? family.lora.targets : [];
}

/** A task head's parameters train with the adapters; a language-model head stays frozen like the body. */
const trains = (name: string) => isLoraParam(name) || (isHeadParam(name) && !/^(lm_head|cls)\./.test(name));

export function loraMethod(options: { family: ModelFamily; lora?: Partial<LoraSpec> }): FinetuneMethod {
  const lora = options.family.lora;
  if ('unsupported' in lora) throw new Error(lora.unsupported);
  // fan_in_fan_out (PEFT): the family stores the adapted weights [in, out] (GPT-2's Conv1D).
  const spec: LoraSpec = { r: 8, alpha: 16, dropout: 0.05, targetModules: lora.targets, fanInFanOut: !!lora.fanInFanOut, ...options.lora };
  return {
    name: 'lora',
    defaultLr: 1e-3,
    adapters: spec,
    settings: { 'lora.r': spec.r, 'lora.alpha': spec.alpha, 'lora.dropout': spec.dropout, 'lora.targets': spec.targetModules },
    async prepare(run) {
      run.model.ensureParams({ ...taskHead(run), lora: spec }, run.seed);
      return tokenTraining(run, { lora: spec, trains, flopsPerParamToken: 4 });
    },
    served: (trained) => mergeLora(trained, spec),
    async save(out, s) {
      await saveModelFolder(out, 'lora', s);
      await savePeftAdapter(path.join(out, 'adapter'), spec, s);
    },
  };
}

/** The adapter as PEFT loads it onto the base: adapter_config.json + adapter_model.safetensors. */
async function savePeftAdapter(dir: string, spec: LoraSpec, s: SaveInput): Promise<void> {
  const model = s.trained;
  const adapter: Record<string, { shape: number[]; data: Float32Array }> = {};
  const saveModules = new Set<string>();
  for (const n of model.params.names()) {
    const v = model.params.get(n)!;
    if (isLoraParam(n)) adapter[`base_model.model.${n}`] = { shape: v.shape, data: v.data as Float32Array };
    else if (isHeadParam(n) && !n.startsWith('cls.') && !n.startsWith('lm_head')) {
      const mod = n.replace(/\.(weight|bias)$/, '');
      saveModules.add(mod.split('.')[0] === model.family.prefix(model.config.modelType) ? mod.split('.').slice(1, 2).join('.') : mod.split('.')[0]!);
      adapter[`base_model.model.${n}`] = { shape: v.shape, data: v.data as Float32Array };
    }
  }
  const adapterConfig = {
    peft_type: 'LORA', task_type: s.task === 'classify' ? 'SEQ_CLS' : 'CAUSAL_LM', r: spec.r, lora_alpha: spec.alpha, lora_dropout: spec.dropout,
    target_modules: spec.targetModules, modules_to_save: [...saveModules], base_model_name_or_path: s.baseName ?? null, bias: 'none', inference_mode: true, fan_in_fan_out: spec.fanInFanOut ?? false,
  };
  await writeCheckpoint(dir, { config: {}, tensors: {}, extraFiles: { 'adapter_config.json': JSON.stringify(adapterConfig, null, 2), 'adapter_model.safetensors': serializeSafetensors(adapter) } });
}

/** Fold LoRA adapters into their base weights: W' = W + (alpha / r) B A. Returns a model without adapter parameters. */
export function mergeLora(model: TransformerModel, spec: LoraSpec): TransformerModel {
  const store = new ParamStore();
  const scale = spec.alpha / spec.r;
  for (const n of model.params.names()) {
    if (isLoraParam(n)) continue;
    const v = model.params.get(n)!;
    const data = Float32Array.from(v.data as Float32Array);
    const mod = n.replace(/\.weight$/, '');
    const A = model.params.get(`${mod}.lora_A.weight`), B = model.params.get(`${mod}.lora_B.weight`);
    if (n.endsWith('.weight') && A && B) {
      const out = B.shape[0]!, inn = A.shape[1]!;
      // W [out, in] (Linear) or [in, out] (Conv1D, fan_in_fan_out): element (i, j) of B A lands at i*in+j or j*out+i.
      const [rowStride, colStride] = spec.fanInFanOut ? [1, out] : [inn, 1];
      const a = A.data as Float32Array, b = B.data as Float32Array;
      for (let i = 0; i < out; i++) for (let k = 0; k < spec.r; k++) {
        const bik = b[i * spec.r + k]! * scale;
        if (bik === 0) continue;
        for (let j = 0; j < inn; j++) data[i * rowStride + j * colStride] = data[i * rowStride + j * colStride]! + bik * a[k * inn + j]!;
      }
    }
    store.set(n, v.shape, data);
  }
  const m = new TransformerModel(model.config, store, model.tokenizer, model.sourceDir);
  m.tokenizerDir = model.tokenizerDir;
  return m;
}
