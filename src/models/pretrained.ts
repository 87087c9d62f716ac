// The one way a model name becomes a model, in the spirit of transformers' from_pretrained:
// a local folder, an embedded model (models/ in this package), or a Hugging Face Hub id
// ("org/name", optionally "@revision"), downloaded once into the cache Python shares.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { hubSettings, hubSnapshot, noteHubModel, parseHubRef, HubError, formatRef, type HubOptions } from '../hub/index.js';
import { parseConfig } from './config.js';
import { TransformerModel } from './model.js';
import { EMBEDDED_MODELS } from './resolve.js';
import { packageRoot } from '../util/paths.js';

/** Where a model came from: recorded in saved configs, model cards and the run registry. */
export type ModelOrigin =
  | { kind: 'local'; dir: string }
  | { kind: 'embedded'; name: string; dir: string }
  | { kind: 'hub'; id: string; revision: string; commit: string; dir: string; endpoint: string };

export interface PretrainedOptions extends HubOptions {
  /** Hub revision (a branch, tag or commit); "org/name@rev" in the name does the same. */
  revision?: string;
  /** Only the tokenizer is needed (no weights are downloaded). */
  tokenizerOnly?: boolean;
}

const looksLikePath = (name: string) => /^(\.|\/|~)|\\|\/$/.test(name) || path.isAbsolute(name);

/** The folder behind a model name, downloading a Hub model when the cache does not have it. */
export async function resolvePretrained(name: string, o: PretrainedOptions = {}): Promise<ModelOrigin> {
  if (typeof name !== 'string' || name.trim() === '') throw new Error('model name is empty: give a model folder, an embedded model or a Hub id');
  const hasConfig = existsSync(path.join(name, 'config.json'));
  if (hasConfig || (o.tokenizerOnly && existsSync(path.join(name, 'tokenizer.json')))) return { kind: 'local', dir: name };
  if ((EMBEDDED_MODELS as readonly string[]).includes(name)) {
    const dir = path.join(packageRoot(), 'models', name);
    if (existsSync(path.join(dir, 'config.json'))) return { kind: 'embedded', name, dir };
  }
  if (existsSync(name)) throw new Error(`${name}: not a model folder (no ${o.tokenizerOnly ? 'tokenizer.json' : 'config.json'})`);
  const ref = looksLikePath(name) ? undefined : parseHubRef(o.revision && !name.includes('@') ? `${name}@${o.revision}` : name);
  const notFound = `model "${name}" not found: give a Hugging Face model folder, one of the embedded models (${EMBEDDED_MODELS.join(', ')}) or a Hub id such as distilbert-base-uncased or Qwen/Qwen2.5-0.5B-Instruct`;
  if (!ref) throw new Error(notFound);
  try {
    const snap = await hubSnapshot(ref, { ...o, checkConfig: o.tokenizerOnly ? undefined : (raw, file) => void parseConfig(raw, file) });
    if (snap.unreachable && !o.quiet) process.stderr.write(`warning: ${snap.unreachable}; using the cached ${formatRef(ref)} (commit ${snap.commit.slice(0, 12)})\n`);
    noteHubModel({ id: snap.id, revision: snap.revision, commit: snap.commit });
    return { kind: 'hub', id: snap.id, revision: snap.revision, commit: snap.commit, dir: snap.dir, endpoint: hubSettings(o).endpoint };
  } catch (e) {
    // A typo'd folder name should not read as a Hub problem only.
    if (e instanceof HubError && e.kind === 'repo-not-found' && !name.includes('/')) throw new HubError(e.kind, `${notFound} (no such folder, and ${e.message})`);
    throw e;
  }
}

/** Load a model (weights, config, tokenizer) by folder, embedded name or Hub id. */
export async function loadPretrained(name: string, o: PretrainedOptions = {}): Promise<TransformerModel> {
  const origin = await resolvePretrained(name, o);
  const model = await TransformerModel.load(origin.dir);
  model.config.origin = origin;
  return model;
}

/** "org/name@commit" for Hub models, the folder otherwise: what a model card or registry entry records. */
export function describeOrigin(o: ModelOrigin): string {
  return o.kind === 'hub' ? `${o.id}@${o.commit}` : o.kind === 'embedded' ? o.name : path.resolve(o.dir);
}
