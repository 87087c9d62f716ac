// Download the files a model needs into the Hugging Face cache, with the official client
// (@huggingface/hub) for every Hub call: model info for the commit, the file tree, and
// downloadFile's range-capable blobs. The client's own snapshotDownload fetches every file of a
// repo (ONNX, TF, pickles...) and downloadFileToCacheDir neither resumes nor stays off stdout, so
// the files are written here, in their exact layout: blobs/<etag> via <etag>.incomplete (resumed
// with a Range request next time, checked against the Hub's hash, renamed when whole), then a
// relative symlink in snapshots/<commit>/ — snapshots/ never holds a partial file.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { ListFileEntry } from '@huggingface/hub';
import { repoDirOf, writeRef } from './cache.js';
import { HubError, classifyFsError, classifyHubError } from './errors.js';
import { hubFetch, NetworkError, type HubFetch } from './fetch.js';
import { DownloadProgress } from './progress.js';
import { formatRef, type HubRef } from './repo-id.js';
import type { HubSettings } from './settings.js';

/** Files besides the weights that a model folder may use; everything else in a repo is skipped. */
export const MODEL_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'chat_template.jinja', 'chat_template.json'];
const isChatTemplate = (p: string) => /^additional_chat_templates\/[^/]+\.jinja$/.test(p);
/** Weights tuneshot never loads: pickles (arbitrary code on load), TensorFlow and Flax formats. */
const OTHER_WEIGHTS = /(^|\/)(pytorch_model[^/]*\.bin|[^/]+\.(pt|pth|ckpt|pkl|pickle)|tf_model[^/]*\.h5|flax_model[^/]*\.msgpack)$/;

export interface FetchedSnapshot {
  id: string;
  revision: string;
  commit: string;
  dir: string;
  /** Bytes transferred by this call (0 when every file was already cached). */
  downloadedBytes: number;
  /** HTTP requests this call made. */
  requests: number;
}

export interface DownloadOptions {
  /** Only the tokenizer files (and config.json when there is one), no weights: e.g. pretrain --tokenizer. */
  tokenizerOnly?: boolean;
  /** Called with config.json as soon as it is in the cache, before the weights: throw to stop (e.g. an unsupported model_type). */
  checkConfig?: (config: Record<string, unknown>, file: string) => void;
}

const entryEtag = (e: ListFileEntry) => e.lfs?.oid ?? e.oid ?? '';
const entrySize = (e: ListFileEntry) => e.lfs?.size ?? e.size;

/** Resolve the revision on the Hub and bring the model's files of that commit into the cache. */
export async function downloadSnapshot(ref: HubRef, s: HubSettings, o: DownloadOptions = {}): Promise<FetchedSnapshot> {
  const { downloadFile, listFiles, modelInfo } = await import('@huggingface/hub'); // loaded on first download only
  const net = hubFetch(s);
  const common = { hubUrl: s.endpoint, fetch: net.fetch, ...(s.token ? { accessToken: s.token } : {}) };
  const repo = { type: 'model' as const, name: ref.id };
  const call = async <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      throw classifyHubError(e, ref, s, net.lastFailure);
    }
  };
  const commit = ref.pinned ? ref.revision : (await call(() => modelInfo({ ...common, name: ref.id, revision: ref.revision, additionalFields: ['sha'] }))).sha as string;
  if (!commit) throw new HubError('revision-not-found', `${formatRef(ref)}: the Hub did not say which commit "${ref.revision}" is`);
  const entries = await call(async () => {
    const out: ListFileEntry[] = [];
    for await (const e of listFiles({ ...common, repo, revision: commit, recursive: true })) if (e.type === 'file') out.push(e);
    return out;
  });
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const where = `${formatRef(ref)}${ref.pinned ? '' : ` (commit ${commit.slice(0, 12)})`}`;
  if (!byPath.has('config.json') && !o.tokenizerOnly) throw new HubError('no-weights', `${where} has no config.json: not a Transformers model repository`);
  const weightsIndex = o.tokenizerOnly ? undefined : byPath.get('model.safetensors.index.json');
  if (!o.tokenizerOnly && !weightsIndex && !byPath.has('model.safetensors')) {
    const others = entries.map((e) => e.path).filter((p) => OTHER_WEIGHTS.test(p));
    if (others.length) {
      throw new HubError('pickle-only', `${where} has its weights only as ${others.slice(0, 3).join(', ')}, not safetensors; tuneshot never loads pickles: pin a revision that has model.safetensors (the Hub's safetensors conversion opens one as a pull request: ${ref.id}@refs/pr/<n>), or convert it (transformers: from_pretrained then save_pretrained(folder, safe_serialization=True)) and give the folder`);
    }
    throw new HubError('no-weights', `${where} has no model.safetensors (nor a sharded model.safetensors.index.json)`);
  }
  if (!byPath.has('tokenizer.json')) {
    throw new HubError('no-tokenizer', `${where} has no tokenizer.json (tuneshot reads tokenizers in that format only); save one with transformers (AutoTokenizer.from_pretrained("${ref.id}").save_pretrained(folder) writes it for fast tokenizers) and give the folder`);
  }

  const repoDir = repoDirOf(s, ref.id);
  const snapshot = path.join(repoDir, 'snapshots', commit);
  try {
    await writeRef(repoDir, ref.revision, commit);
  } catch (e) {
    throw classifyFsError(e, path.join(repoDir, 'refs', ref.revision), s);
  }
  const first = [...MODEL_FILES.filter((f) => byPath.has(f)), ...entries.map((e) => e.path).filter(isChatTemplate)];
  const want = [...first, ...(o.tokenizerOnly ? [] : weightsIndex ? ['model.safetensors.index.json'] : ['model.safetensors'])];
  const linked = (p: string) => existsSync(path.join(snapshot, p));
  // Shard sizes are known from the tree before the index is read: count every model-*.safetensors.
  const shardGuess = weightsIndex ? entries.filter((e) => /^model-[^/]*\.safetensors$/.test(e.path)) : [];
  const total = [...want.map((p) => byPath.get(p)!), ...shardGuess].filter((e) => !linked(e.path)).reduce((a, e) => a + entrySize(e), 0);
  const progress = new DownloadProgress(formatRef(ref), total, s.quiet);
  let downloaded = 0;
  const fetchOne = async (p: string) => {
    const entry = byPath.get(p);
    if (!entry) throw new HubError('file-not-found', `${where}: the shard index names ${p}, which is not in the repository`);
    downloaded += await fetchFile({ ref, commit, entry, repoDir, s, net, common, progress });
  };
  try {
    for (const p of want) {
      await fetchOne(p);
      if (p === 'config.json' && o.checkConfig) {
        const file = path.join(snapshot, 'config.json');
        let config: Record<string, unknown>;
        try {
          config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
        } catch (e) {
          throw new HubError('no-weights', `${file}: bad JSON: ${(e as Error).message}`);
        }
        o.checkConfig(config, `${formatRef(ref)}: config.json`);
      }
    }
    if (weightsIndex) {
      const index = path.join(snapshot, 'model.safetensors.index.json');
      const map = (JSON.parse(readFileSync(index, 'utf8')) as { weight_map?: Record<string, string> }).weight_map;
      if (!map || typeof map !== 'object') throw new HubError('no-weights', `${where}: model.safetensors.index.json has no weight_map`);
      for (const shard of new Set(Object.values(map))) await fetchOne(shard);
    }
  } finally {
    progress.stop();
  }
  return { id: ref.id, revision: ref.revision, commit, dir: snapshot, downloadedBytes: downloaded, requests: net.requests };
}

interface FileJob {
  ref: HubRef;
  commit: string;
  entry: ListFileEntry;
  repoDir: string;
  s: HubSettings;
  net: HubFetch;
  common: { hubUrl: string; fetch: typeof fetch; accessToken?: string };
  progress: DownloadProgress;
}

/** One file into blobs/ (resuming a partial one) and its snapshot link. Returns bytes transferred. */
async function fetchFile(j: FileJob): Promise<number> {
  const { entry, repoDir, s } = j;
  const pointer = path.join(repoDir, 'snapshots', j.commit, ...entry.path.split('/'));
  if (existsSync(pointer)) return 0;
  const etag = entryEtag(entry);
  if (!/^[0-9a-f]{40,64}$/.test(etag)) throw new HubError('file-not-found', `${formatRef(j.ref)}: the Hub gave no usable hash for ${entry.path}`);
  const blob = path.join(repoDir, 'blobs', etag);
  const size = entrySize(entry);
  let transferred = 0;
  try {
    await fsp.mkdir(path.dirname(blob), { recursive: true });
    await fsp.mkdir(path.dirname(pointer), { recursive: true });
    if (!existsSync(blob)) transferred = await withBlobLock(j, etag, () => (existsSync(blob) ? Promise.resolve(0) : fetchBlob(j, blob, size, etag)));
    // Link atomically: a temporary link renamed over the final name.
    const tmp = `${pointer}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`;
    await fsp.rm(tmp, { force: true });
    await fsp.symlink(path.relative(path.dirname(pointer), blob), tmp);
    await fsp.rename(tmp, pointer);
  } catch (e) {
    throw classifyFsError(e, blob, s);
  }
  return transferred;
}

async function fetchBlob(j: FileJob, blob: string, size: number, etag: string): Promise<number> {
  const partial = `${blob}.incomplete`;
  let have = existsSync(partial) ? statSync(partial).size : 0;
  if (have > size) {
    await fsp.rm(partial, { force: true });
    have = 0;
  }
  // sha256 for LFS files (the etag is the content's sha256), git's blob sha1 for small ones.
  const hash = j.entry.lfs ? createHash('sha256') : createHash('sha1').update(`blob ${size}\0`);
  if (have > 0) await hashFile(hash, partial);
  j.progress.fileStarted(j.entry.path, have);
  let transferred = 0;
  if (have < size) {
    let remote: Blob | null;
    const { downloadFile } = await import('@huggingface/hub');
    try {
      remote = await downloadFile({ ...j.common, repo: { type: 'model', name: j.ref.id }, path: j.entry.path, revision: j.commit });
    } catch (e) {
      throw classifyHubError(e, j.ref, j.s, j.net.lastFailure);
    }
    if (!remote) throw new HubError('file-not-found', `${formatRef(j.ref)}: ${j.entry.path} is listed but cannot be downloaded`);
    const out = createWriteStream(partial, { flags: 'a' });
    const written = new Promise<void>((resolve, reject) => {
      out.on('error', reject);
      out.on('close', resolve);
    });
    try {
      const reader = (have > 0 ? remote.slice(have) : remote).stream().getReader();
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (e) {
          throw new HubError('interrupted', `download of ${formatRef(j.ref)} ${j.entry.path} was interrupted (${(e as Error).message}); run again to resume it`);
        }
        if (chunk.done) break;
        hash.update(chunk.value);
        transferred += chunk.value.length;
        j.progress.add(chunk.value.length);
        if (!out.write(chunk.value)) await new Promise<void>((r, rej) => { out.once('drain', r); out.once('error', rej); });
      }
    } finally {
      out.end();
      await written.catch((e: unknown) => { throw classifyFsError(e, partial, j.s); });
    }
  }
  const got = statSync(partial).size;
  if (got !== size || hash.digest('hex') !== etag) {
    await fsp.rm(partial, { force: true });
    throw new HubError('checksum', `${formatRef(j.ref)} ${j.entry.path}: the download does not match the Hub's ${got !== size ? `size (${got} of ${size} bytes)` : 'checksum'}; it was discarded, run again`);
  }
  await fsp.rename(partial, blob);
  return transferred;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * One writer per blob across processes (two commands pulling the same model at once would both
 * append to the .incomplete file). The lock sits where Python's is (<cache>/.locks/<repo>/<etag>.lock)
 * and holds the writer's pid; a lock whose process is gone is taken over.
 */
async function withBlobLock<T>(j: FileJob, etag: string, work: () => Promise<T>): Promise<T> {
  const lock = path.join(j.s.cacheDir, '.locks', path.basename(j.repoDir), `${etag}.lock`);
  await fsp.mkdir(path.dirname(lock), { recursive: true });
  for (;;) {
    try {
      await fsp.writeFile(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number((await fsp.readFile(lock, 'utf8').catch(() => '')).trim());
      if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) await fsp.rm(lock, { force: true });
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await work();
  } finally {
    await fsp.rm(lock, { force: true });
  }
}

async function hashFile(hash: Hash, file: string): Promise<void> {
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
}

export { NetworkError };
