// The Hugging Face cache layout, shared with Python's huggingface_hub:
//   <cache>/models--org--name/blobs/<etag>                  file contents (etag: sha256 for LFS files, git sha1 otherwise)
//   <cache>/models--org--name/snapshots/<commit>/<path>     relative symlinks into blobs/
//   <cache>/models--org--name/refs/<branch or tag>          the commit it pointed to when last fetched
import { existsSync, lstatSync, openSync, closeSync, readSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { COMMIT, type HubRef } from './repo-id.js';
import type { HubSettings } from './settings.js';

export const repoFolderName = (id: string) => `models--${id.split('/').join('--')}`;
export const repoDirOf = (s: Pick<HubSettings, 'cacheDir'>, id: string) => path.join(s.cacheDir, repoFolderName(id));

/** The commit a branch or tag pointed to when last fetched (refs/<revision>), or the commit itself. */
export function commitOf(repoDir: string, revision: string): string | undefined {
  if (COMMIT.test(revision)) return revision;
  const file = path.join(repoDir, 'refs', ...revision.split('/'));
  try {
    const c = readFileSync(file, 'utf8').trim();
    return COMMIT.test(c) ? c : undefined;
  } catch {
    return undefined;
  }
}

/** The weight files a snapshot folder needs: model.safetensors, or every shard its index names. */
export function weightFiles(dir: string): string[] | undefined {
  const index = path.join(dir, 'model.safetensors.index.json');
  if (existsSync(index)) {
    try {
      const map = (JSON.parse(readFileSync(index, 'utf8')) as { weight_map?: Record<string, string> }).weight_map ?? {};
      return ['model.safetensors.index.json', ...new Set(Object.values(map))];
    } catch {
      return undefined;
    }
  }
  return existsSync(path.join(dir, 'model.safetensors')) ? ['model.safetensors'] : undefined;
}

/** Everything a model load reads is there (links resolve): config, tokenizer, all weights. */
export function isCompleteSnapshot(dir: string, tokenizerOnly = false): boolean {
  if (tokenizerOnly) return existsSync(path.join(dir, 'tokenizer.json'));
  const weights = weightFiles(dir);
  return !!weights && ['config.json', 'tokenizer.json', ...weights].every((f) => existsSync(path.join(dir, f)));
}

export interface CachedSnapshot {
  commit: string;
  dir: string;
}

/** The complete cached snapshot for this id and revision, if any (no network). */
export function cachedSnapshot(s: Pick<HubSettings, 'cacheDir'>, ref: HubRef, tokenizerOnly = false): CachedSnapshot | undefined {
  const repoDir = repoDirOf(s, ref.id);
  const commit = commitOf(repoDir, ref.revision);
  if (!commit) return undefined;
  const dir = path.join(repoDir, 'snapshots', commit);
  return isCompleteSnapshot(dir, tokenizerOnly) ? { commit, dir } : undefined;
}

/** Write refs/<revision> atomically (a reader never sees half a hash). */
export async function writeRef(repoDir: string, revision: string, commit: string): Promise<void> {
  if (revision === commit) return;
  const file = path.join(repoDir, 'refs', ...revision.split('/'));
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`; // unique: loads may race in one process
  await fsp.writeFile(tmp, commit);
  await fsp.rename(tmp, file);
}

// ---- listing and removing (tuneshot models ls / rm) ----

export interface CachedModel {
  id: string;
  commit: string;
  /** Branches and tags that point at this commit. */
  refs: string[];
  dir: string;
  /** Bytes of the blobs this snapshot links to. */
  bytes: number;
  complete: boolean;
  modelType?: string;
  parameters?: number;
}

function walkFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walkFiles(dir, r));
    else out.push(r);
  }
  return out;
}

function refsByCommit(repoDir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const refs = path.join(repoDir, 'refs');
  if (!existsSync(refs)) return out;
  for (const name of walkFiles(refs)) {
    const c = commitOf(repoDir, name);
    if (c) out.set(c, [...(out.get(c) ?? []), name]);
  }
  return out;
}

/** Parameter count from safetensors headers only (a few KB read, whatever the file size). */
export function safetensorsParameters(file: string): number {
  const fd = openSync(file, 'r');
  try {
    const len = Buffer.alloc(8);
    readSync(fd, len, 0, 8, 0);
    const n = Number(len.readBigUInt64LE(0));
    if (n > 100_000_000) return 0;
    const header = Buffer.alloc(n);
    readSync(fd, header, 0, n, 8);
    const json = JSON.parse(header.toString('utf8')) as Record<string, { shape?: number[] }>;
    let total = 0;
    for (const [k, v] of Object.entries(json)) if (k !== '__metadata__') total += (v.shape ?? []).reduce((a, b) => a * b, 1);
    return total;
  } finally {
    closeSync(fd);
  }
}

export function snapshotFacts(dir: string): { modelType?: string; parameters?: number } {
  let modelType: string | undefined;
  try {
    modelType = String((JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as { model_type?: unknown }).model_type ?? '') || undefined;
  } catch { /* no or bad config.json */ }
  let parameters: number | undefined;
  try {
    const files = (weightFiles(dir) ?? []).filter((f) => f.endsWith('.safetensors'));
    if (files.length) parameters = files.reduce((a, f) => a + safetensorsParameters(path.join(dir, f)), 0);
  } catch { /* incomplete */ }
  return { ...(modelType ? { modelType } : {}), ...(parameters !== undefined ? { parameters } : {}) };
}

/** Every cached model snapshot (complete or not), Hub id order. */
export function listCachedModels(s: Pick<HubSettings, 'cacheDir'>): CachedModel[] {
  if (!existsSync(s.cacheDir)) return [];
  const out: CachedModel[] = [];
  for (const folder of readdirSync(s.cacheDir).sort()) {
    if (!folder.startsWith('models--')) continue;
    const repoDir = path.join(s.cacheDir, folder);
    const snaps = path.join(repoDir, 'snapshots');
    if (!existsSync(snaps) || !statSync(snaps).isDirectory()) continue;
    const id = folder.slice('models--'.length).split('--').join('/');
    const refs = refsByCommit(repoDir);
    for (const commit of readdirSync(snaps).sort()) {
      const dir = path.join(snaps, commit);
      if (!statSync(dir).isDirectory()) continue;
      let bytes = 0;
      for (const f of walkFiles(dir)) {
        try { bytes += statSync(path.join(dir, f)).size; } catch { /* dangling link */ }
      }
      out.push({ id, commit, refs: refs.get(commit) ?? [], dir, bytes, complete: isCompleteSnapshot(dir), ...snapshotFacts(dir) });
    }
  }
  return out;
}

export interface RemoveResult {
  snapshots: string[];
  freedBytes: number;
}

/** Blob names the snapshots of a repo link to. */
function usedBlobs(repoDir: string): Set<string> {
  const used = new Set<string>();
  const snaps = path.join(repoDir, 'snapshots');
  if (!existsSync(snaps)) return used;
  for (const commit of readdirSync(snaps)) {
    const dir = path.join(snaps, commit);
    for (const f of walkFiles(dir)) {
      const p = path.join(dir, f);
      if (lstatSync(p).isSymbolicLink()) used.add(path.basename(readlinkSync(p)));
    }
  }
  return used;
}

/**
 * Remove a model from the cache: one revision (`id@rev`) or all of them. Blobs go when no
 * remaining snapshot links to them; the repo folder goes when nothing is left in it.
 */
export async function removeCachedModel(s: Pick<HubSettings, 'cacheDir'>, ref: HubRef, oneRevision: boolean): Promise<RemoveResult> {
  const repoDir = repoDirOf(s, ref.id);
  const snaps = path.join(repoDir, 'snapshots');
  if (!existsSync(repoDir)) return { snapshots: [], freedBytes: 0 };
  const all = existsSync(snaps) ? readdirSync(snaps) : [];
  const commit = oneRevision ? commitOf(repoDir, ref.revision) : undefined;
  const doomed = oneRevision ? all.filter((c) => c === commit) : all;
  if (doomed.length === 0) return { snapshots: [], freedBytes: 0 };
  const blobsDir = path.join(repoDir, 'blobs');
  const before = existsSync(blobsDir) ? readdirSync(blobsDir) : [];
  for (const c of doomed) await fsp.rm(path.join(snaps, c), { recursive: true, force: true });
  const refs = refsByCommit(repoDir);
  for (const c of doomed) for (const r of refs.get(c) ?? []) await fsp.rm(path.join(repoDir, 'refs', ...r.split('/')), { force: true });
  if (oneRevision && ref.revision !== commit) await fsp.rm(path.join(repoDir, 'refs', ...ref.revision.split('/')), { force: true });
  const used = usedBlobs(repoDir);
  let freed = 0;
  for (const b of before) {
    const name = b.replace(/\.incomplete$/, '');
    if (used.has(name)) continue;
    const p = path.join(blobsDir, b);
    freed += lstatSync(p).size;
    await fsp.rm(p, { force: true });
  }
  const left = existsSync(snaps) ? readdirSync(snaps) : [];
  if (left.length === 0) await fsp.rm(repoDir, { recursive: true, force: true });
  return { snapshots: doomed, freedBytes: freed };
}

/** Bytes of the files in a folder (links followed), recursively. */
export function directorySize(dir: string): number {
  let total = 0;
  for (const f of walkFiles(dir)) {
    try { total += statSync(path.join(dir, f)).size; } catch { /* dangling link */ }
  }
  return total;
}
