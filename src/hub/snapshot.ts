// A Hub model id -> a complete snapshot folder in the cache. The cache answers first: a pinned
// commit or a branch fetched before is used with no network call (`tuneshot models pull` asks the
// Hub for a branch's newest commit). Offline, or with the Hub unreachable, only the cache is used.
import { cachedSnapshot } from './cache.js';
import { downloadSnapshot, type DownloadOptions } from './download.js';
import { HubError } from './errors.js';
import { NetworkError } from './fetch.js';
import { formatRef, type HubRef } from './repo-id.js';
import { hubSettings, type HubOptions } from './settings.js';

export interface HubSnapshot {
  id: string;
  /** The revision asked for (a branch, tag or commit). */
  revision: string;
  /** The commit it resolved to. */
  commit: string;
  /** snapshots/<commit> in the cache. */
  dir: string;
  /** Bytes downloaded (0 when the cache had everything). */
  downloadedBytes: number;
  /** HTTP requests made (0 when the cache had everything). */
  requests: number;
  /** Set when the Hub could not be reached and the cached snapshot was used instead. */
  unreachable?: string;
}

export interface SnapshotOptions extends HubOptions, DownloadOptions {
  /** Ask the Hub for the revision's newest commit even when a snapshot is cached. */
  refresh?: boolean;
}

export async function hubSnapshot(ref: HubRef, o: SnapshotOptions = {}): Promise<HubSnapshot> {
  const s = hubSettings(o);
  const cached = cachedSnapshot(s, ref, !!o.tokenizerOnly);
  const fromCache = (c: { commit: string; dir: string }): HubSnapshot => ({ id: ref.id, revision: ref.revision, ...c, downloadedBytes: 0, requests: 0 });
  if (s.offline) {
    if (cached) return fromCache(cached);
    throw new HubError('offline-not-cached', `${formatRef(ref)} is not in the Hugging Face cache (${s.cacheDir}) and HF_HUB_OFFLINE is set: download it first (tuneshot models pull ${formatRef(ref)}) with network access`);
  }
  if (cached && !o.refresh) return fromCache(cached);
  try {
    return await downloadSnapshot(ref, s, o);
  } catch (e) {
    if (!(e instanceof NetworkError)) throw e;
    if (cached) return { ...fromCache(cached), unreachable: e.message };
    throw new HubError('unreachable', `${formatRef(ref)}: ${e.message}, and it is not in the Hugging Face cache (${s.cacheDir}); check the network or HF_ENDPOINT`);
  }
}
