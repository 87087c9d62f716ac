// Option checks at the library boundary: each public entry point (finetune, pretrain, compare,
// runIcl / IclClassifier, createServer) calls its check first, so a bad option is one clear error
// naming it and its range (src/options/ranges.ts) before any model is loaded or file written.
import { existsSync } from 'node:fs';
import type { FinetuneOptions } from '../train/finetune.js';
import type { PretrainOptions } from '../train/pretrain.js';
import type { CompareOptions } from '../compare/compare.js';
import type { RunIclOptions } from '../icl/run.js';
import type { ServerOptions } from '../serve/server.js';
import { listBackends, parseBackendSpec } from '../icl/backends/index.js';
import { remoteProviderInfo, remoteProviders } from '../remote/providers.js';
import { RANGES, OptionError, checkOneOf, checkRange, type RangeName } from './ranges.js';

type Bag = Record<string, unknown>;

/** Check each named option of `o` against its range (the option name is the RANGES key unless mapped). */
function checkAll(api: string, o: Bag, names: Array<RangeName | [string, RangeName]>): void {
  for (const n of names) {
    const [key, range] = Array.isArray(n) ? n : [n, n];
    checkRange(`${api}: ${key}`, o[key], RANGES[range]);
  }
}

function checkLabels(api: string, labels: unknown): void {
  if (labels === undefined) return;
  if (!Array.isArray(labels) || labels.length === 0 || labels.some((l) => typeof l !== 'string' || l.trim() === '')) {
    throw new OptionError(`${api}: labels`, `${api}: labels must be a non-empty list of non-empty strings, got ${JSON.stringify(labels)}`);
  }
  const dup = labels.find((l, i) => labels.indexOf(l) !== i);
  if (dup !== undefined) throw new OptionError(`${api}: labels`, `${api}: labels has "${dup}" twice`);
}

export function validateFinetuneOptions(o: FinetuneOptions): void {
  const api = 'finetune';
  if (o.model === undefined || o.model === '') throw new OptionError(`${api}: model`, `${api}: model is required (a model folder or an embedded model name)`);
  checkOneOf(`${api}: task`, o.task, ['classify', 'generate']);
  checkOneOf(`${api}: method`, o.method, ['full', 'lora', 'head']);
  checkOneOf(`${api}: pooling`, o.pooling, ['cls', 'mean']);
  checkAll(api, o as unknown as Bag, ['epochs', 'maxSteps', 'batchSize', 'lr', 'warmupRatio', 'weightDecay', 'clipNorm', 'maxLength', 'patience', 'seed', 'checkpointEvery', 'maxMemory']);
  checkRange(`${api}: stopAfter`, o.stopAfter, RANGES.maxSteps);
  if (o.lora) {
    checkRange(`${api}: lora.r`, o.lora.r, RANGES.loraR);
    checkRange(`${api}: lora.alpha`, o.lora.alpha, RANGES.loraAlpha);
    checkRange(`${api}: lora.dropout`, o.lora.dropout, RANGES.loraDropout);
    if (o.lora.targetModules !== undefined && (!Array.isArray(o.lora.targetModules) || o.lora.targetModules.length === 0)) {
      throw new OptionError(`${api}: lora.targetModules`, `${api}: lora.targetModules must name at least one module`);
    }
  }
  checkLabels(api, o.labels);
}

/** LoRA target modules must each name a linear layer of the model (else the adapter would hold no LoRA weights). */
export function checkLoraTargets(targets: readonly string[], paramNames: readonly string[]): void {
  const adapted = paramNames.filter((n) => n.endsWith('.lora_A.weight')).map((n) => n.slice(0, -'.lora_A.weight'.length));
  const missing = targets.filter((t) => !adapted.some((m) => m === t || m.endsWith(`.${t}`)));
  if (missing.length === 0) return;
  // What could be targeted: the last name of every 2-D weight inside the transformer layers.
  const valid = [...new Set(paramNames
    .filter((n) => /\.(layer|layers|h)\.\d+\./.test(n) && n.endsWith('.weight') && !/lora_|norm|LayerNorm|ln_/i.test(n))
    .map((n) => n.slice(0, -'.weight'.length).split('.').pop()!))].sort();
  throw new OptionError('lora targets', `--lora-targets: ${missing.map((m) => `"${m}"`).join(', ')} ${missing.length === 1 ? 'names no module' : 'name no modules'} of this model; valid: ${valid.join(', ')}`);
}

export function validatePretrainOptions(o: PretrainOptions): void {
  const api = 'pretrain';
  checkOneOf(`${api}: objective`, o.objective, ['mlm', 'clm', 'icl-episodes']);
  if (o.objective === undefined) throw new OptionError(`${api}: objective`, `${api}: objective is required (mlm, clm or icl-episodes)`);
  checkOneOf(`${api}: episodeLoss`, o.episodeLoss, ['all', 'query']);
  if (o.init !== undefined && (typeof o.init !== 'string' || o.init === '')) throw new OptionError(`${api}: init`, `${api}: init must name a model (a folder, embedded model or Hub id)`);
  // A continued model brings its own tokenizer and architecture.
  for (const k of ['tokenizer', 'size', 'configPath'] as const) {
    if (o.init && o[k] !== undefined) throw new OptionError(`${api}: ${k}`, `${api}: ${k} cannot be combined with init (${o.init} brings its own tokenizer and architecture)`);
  }
  if (!Array.isArray(o.corpus) || o.corpus.length === 0) throw new OptionError(`${api}: corpus`, `${api}: corpus must list at least one file or folder`);
  if (typeof o.out !== 'string' || o.out === '') throw new OptionError(`${api}: out`, `${api}: out is required (the output model folder)`);
  if (o.steps === undefined) throw new OptionError(`${api}: steps`, `${api}: steps is required`);
  checkOneOf(`${api}: schedule`, o.schedule, ['linear', 'cosine', 'constant']);
  checkAll(api, o as unknown as Bag, ['steps', 'vocabSize', 'seqLen', 'batchSize', 'accumulate', 'lr', ['warmupSteps', 'warmup'], 'weightDecay', 'clipNorm', 'maskProb', 'heldOutEvery', 'checkpointEvery', 'seed', 'clmMix']);
  checkRange(`${api}: stopAfter`, o.stopAfter, RANGES.steps);
}

/** A "backend:model" spec with a known backend (and, for llamacpp, an existing file), checked before any work. */
export function checkBackendSpec(option: string, spec: string): void {
  let s;
  try {
    s = parseBackendSpec(spec);
  } catch (e) {
    throw new OptionError(option, `${option}: ${(e as Error).message}`);
  }
  const known = listBackends();
  if (!known.includes(s.backend)) throw new OptionError(option, `${option}: unknown backend "${s.backend}" in "${spec}" (known: ${known.join(', ')})`);
  if (s.model === '') throw new OptionError(option, `${option}: "${spec}" names no model`);
  if (s.backend === 'llamacpp' && !existsSync(s.model)) throw new OptionError(option, `${option}: ${s.model}: no such GGUF file`);
}

/** A "<provider>:<model>" remote base model that compare can train and score. */
export function checkRemoteBase(option: string, spec: unknown): void {
  const i = typeof spec === 'string' ? spec.indexOf(':') : -1;
  if (typeof spec !== 'string' || i <= 0 || i === spec.length - 1) {
    throw new OptionError(option, `${option}: a remote base model looks like "<provider>:<model>" (e.g. openai:gpt-4o-mini), got ${JSON.stringify(spec)}`);
  }
  const provider = spec.slice(0, i);
  const info = remoteProviderInfo(provider);
  if (!info) throw new OptionError(option, `${option}: unknown remote provider "${provider}" in "${spec}" (known: ${remoteProviders().join(', ')})`);
  if (info.notScorable) throw new OptionError(option, `${option}: ${spec}: ${info.notScorable}`);
}

function checkRemoteOptions(api: string, r: CompareOptions['remote']): void {
  if (r === undefined) return;
  const h = r.hyperparameters ?? {};
  const notAuto = (v: unknown) => (v === 'auto' ? undefined : v);
  checkRange(`${api}: remote.hyperparameters.n_epochs`, notAuto(h.n_epochs), RANGES.remoteEpochs);
  checkRange(`${api}: remote.hyperparameters.batch_size`, notAuto(h.batch_size), RANGES.remoteBatchSize);
  checkRange(`${api}: remote.hyperparameters.learning_rate_multiplier`, notAuto(h.learning_rate_multiplier), RANGES.lrMultiplier);
  for (const k of Object.keys(h)) {
    if (!['n_epochs', 'batch_size', 'learning_rate_multiplier'].includes(k)) throw new OptionError(`${api}: remote.hyperparameters`, `${api}: remote.hyperparameters: unknown hyperparameter "${k}" (known: n_epochs, batch_size, learning_rate_multiplier)`);
  }
  if (r.suffix !== undefined && (typeof r.suffix !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(r.suffix))) {
    throw new OptionError(`${api}: remote.suffix`, `${api}: remote.suffix must be 1 to 64 letters, digits, ".", "_" or "-", got ${JSON.stringify(r.suffix)}`);
  }
  if (r.pollIntervalMs !== undefined) {
    checkRange(`${api}: remote.pollIntervalMs (in seconds)`, typeof r.pollIntervalMs === 'number' ? r.pollIntervalMs / 1000 : r.pollIntervalMs, RANGES.pollInterval);
  }
  const c = r.connection ?? {};
  checkRange(`${api}: remote.connection.maxRetries`, c.maxRetries, RANGES.maxRetries);
  checkRange(`${api}: remote.connection.timeoutMs`, c.timeoutMs, RANGES.timeoutMs);
  if (c.baseURL !== undefined && (typeof c.baseURL !== 'string' || !/^https?:\/\/\S+$/.test(c.baseURL))) {
    throw new OptionError(`${api}: remote.connection.baseURL`, `${api}: remote.connection.baseURL must be an http(s) URL, got ${JSON.stringify(c.baseURL)}`);
  }
}

export function validateCompareOptions(o: CompareOptions): void {
  const api = 'compare';
  if (typeof o.out !== 'string' || o.out === '') throw new OptionError(`${api}: out`, `${api}: out is required (the output folder)`);
  checkAll(api, o as unknown as Bag, ['k', 'batchSize', 'lr', 'maxLength', 'testLimit', 'latencySample']);
  if (typeof o.seeds === 'number') checkRange(`${api}: seeds`, o.seeds, RANGES.seeds);
  else if (o.seeds !== undefined) {
    if (!Array.isArray(o.seeds) || o.seeds.length === 0) throw new OptionError(`${api}: seeds`, `${api}: seeds must be a count or a non-empty list of seeds`);
    for (const s of o.seeds) checkRange(`${api}: seeds`, s, RANGES.seed);
  }
  if (o.budgets !== undefined) {
    if (!Array.isArray(o.budgets) || o.budgets.length === 0) throw new OptionError(`${api}: budgets`, `${api}: budgets must list at least one budget`);
    for (const b of o.budgets) if (b !== 'all') checkRange(`${api}: budgets`, b, RANGES.budget);
  }
  for (const [m, e] of Object.entries(o.epochs ?? {})) checkRange(`${api}: epochs.${m}`, e, RANGES.epochs);
  for (const m of o.methods ?? []) checkOneOf(`${api}: methods`, m, ['full', 'lora', 'head']);
  checkOneOf(`${api}: select`, o.select, ['random', 'balanced', 'knn']);
  for (const [key, usd] of Object.entries(o.prices ?? {})) checkRange(`${api}: prices["${key}"]`, usd, RANGES.price);
  for (const [key, usd] of Object.entries(o.trainPrices ?? {})) checkRange(`${api}: trainPrices["${key}"]`, usd, RANGES.trainPrice);
  for (const spec of o.icl ?? []) checkBackendSpec(`${api}: icl`, spec);
  if (o.ftRemote !== undefined && !Array.isArray(o.ftRemote)) throw new OptionError(`${api}: ftRemote`, `${api}: ftRemote must be a list of "<provider>:<model>" specs`);
  for (const spec of o.ftRemote ?? []) checkRemoteBase(`${api}: ftRemote`, spec);
  checkRemoteOptions(api, o.remote);
  checkLabels(api, o.labels);
}

export function validateIclOptions(o: Pick<RunIclOptions, 'k' | 'concurrency' | 'seed' | 'maxTokens' | 'task' | 'select' | 'scoring' | 'labels'>, api = 'icl'): void {
  checkAll(api, o as unknown as Bag, ['k', 'concurrency', 'seed', 'maxTokens']);
  checkOneOf(`${api}: task`, o.task, ['classify', 'generate']);
  checkOneOf(`${api}: select`, o.select, ['random', 'balanced', 'knn']);
  checkOneOf(`${api}: scoring`, o.scoring, ['sum', 'mean']);
  checkLabels(api, o.labels);
}

export function validateServerOptions(o: ServerOptions): void {
  const api = 'serve';
  checkAll(api, o as unknown as Bag, ['port', 'queueLimit', 'maxTokens', 'maxInputs', 'timeoutMs', 'bodyLimit', 'retryAfterSeconds']);
  if (o.batching) {
    checkRange(`${api}: batching.maxBatch`, o.batching.maxBatch, RANGES.maxBatch);
    checkRange(`${api}: batching.waitMs`, o.batching.waitMs, RANGES.batchWaitMs);
  }
}
