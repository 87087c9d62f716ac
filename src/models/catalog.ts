// The models tuneshot can load without a path: the embedded ones and those in the Hugging Face
// cache (listed, pulled, removed), behind `tuneshot models ls | pull | rm`.
import * as path from 'node:path';
import { HubError, formatRef, hubSettings, hubSnapshot, listCachedModels, parseHubRef, removeCachedModel, snapshotFacts, type HubOptions, type HubSnapshot } from '../hub/index.js';
import { directorySize } from '../hub/cache.js';
import { parseConfig } from './config.js';
import { familyOf } from './families/index.js';
import { EMBEDDED_MODELS } from './resolve.js';
import { packageRoot } from '../util/paths.js';

export interface ModelListing {
  /** Embedded name or Hub id. */
  id: string;
  source: 'embedded' | 'hub';
  /** Branches/tags pointing at this commit ("embedded" for embedded models). */
  revisions: string[];
  commit?: string;
  bytes: number;
  modelType?: string;
  /** tuneshot's family for that model_type (undefined: not loadable by tuneshot). */
  family?: string;
  parameters?: number;
  /** A download was interrupted: the next load or pull completes it. */
  complete: boolean;
  dir: string;
}

export function listModels(o: Pick<HubOptions, 'cacheDir'> = {}): ModelListing[] {
  const embedded = EMBEDDED_MODELS.map((name): ModelListing => {
    const dir = path.join(packageRoot(), 'models', name);
    return withFamily({ id: name, source: 'embedded', revisions: ['embedded'], bytes: directorySize(dir), complete: true, dir, ...snapshotFacts(dir) });
  });
  const s = hubSettings({ ...o, token: false });
  const cached = listCachedModels(s).map((c): ModelListing => withFamily({
    id: c.id, source: 'hub', revisions: c.refs, commit: c.commit, bytes: c.bytes, complete: c.complete, dir: c.dir,
    ...(c.modelType ? { modelType: c.modelType } : {}), ...(c.parameters !== undefined ? { parameters: c.parameters } : {}),
  }));
  return [...embedded, ...cached];
}

function withFamily(m: ModelListing): ModelListing {
  const family = m.modelType ? familyOf(m.modelType)?.name : undefined;
  return family ? { ...m, family } : m;
}

const isEmbedded = (spec: string) => (EMBEDDED_MODELS as readonly string[]).includes(spec);

function hubRefOf(spec: string, verb: string) {
  if (isEmbedded(spec)) throw new Error(`${spec} is embedded in tuneshot (models/${spec}): nothing to ${verb}`);
  const ref = parseHubRef(spec);
  if (!ref) throw new Error(`"${spec}" is not a Hub model id (org/name, optionally @revision)`);
  return ref;
}

/** Download (or update) a Hub model now: asks the Hub for the revision's newest commit. */
export async function pullModel(spec: string, o: HubOptions = {}): Promise<HubSnapshot> {
  const ref = hubRefOf(spec, 'pull');
  if (hubSettings(o).offline) throw new HubError('offline-not-cached', `cannot pull ${formatRef(ref)}: HF_HUB_OFFLINE is set`);
  const snap = await hubSnapshot(ref, { ...o, refresh: true, checkConfig: (raw, file) => void parseConfig(raw, file) });
  if (snap.unreachable) throw new HubError('unreachable', `cannot pull ${formatRef(ref)}: ${snap.unreachable}; the cached commit ${snap.commit.slice(0, 12)} is kept`);
  return snap;
}

/** Remove a Hub model from the cache: `id@rev` one revision, `id` all of them. */
export async function removeModel(spec: string, o: Pick<HubOptions, 'cacheDir'> = {}): Promise<{ snapshots: string[]; freedBytes: number }> {
  const ref = hubRefOf(spec, 'remove');
  const s = hubSettings({ ...o, token: false });
  const r = await removeCachedModel(s, ref, spec.includes('@'));
  if (r.snapshots.length === 0) throw new Error(`${spec} is not in the Hugging Face cache (${s.cacheDir})`);
  return r;
}
