// The SQLite run registry: runs and their records (`tuneshot runs`), remote jobs, and trackRun,
// which records one command's run around its work.
export * from './registry.js';
export { trackRun, redact, type TrackOptions } from './track.js';
export { RemoteStore, type RemoteFileRecord, type RemoteJobRecord, type RemoteJobPatch } from './remote.js';
