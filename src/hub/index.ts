export { hubSnapshot, type HubSnapshot, type SnapshotOptions } from './snapshot.js';
export { hubSettings, hubCacheDir, hfHome, type HubOptions, type HubSettings, DEFAULT_ENDPOINT } from './settings.js';
export { parseHubRef, isHubId, formatRef, type HubRef } from './repo-id.js';
export { listCachedModels, removeCachedModel, cachedSnapshot, snapshotFacts, type CachedModel, type RemoveResult } from './cache.js';
export { HubError, type HubErrorKind } from './errors.js';
export { MODEL_FILES } from './download.js';
export { noteHubModel, collectHubModels, type HubModelRecord } from './provenance.js';
