// The one way tuneshot writes a file or a folder: into a temporary sibling, fsync'd, then renamed
// into place (and the folder holding it fsync'd), so a reader sees the old version or the new one,
// never half of one. Temporary names carry the writer's pid (".<name>.tmp-<pid>-<stamp>"); a
// process killed with -9 leaves one behind, and the next write of the same target removes it (or,
// for a folder swapped out but not yet replaced, puts the old folder back). File-system errors are
// reported against the target the user named, never against a temporary name.
import { promises as fsp } from 'node:fs';
import * as fs from 'node:fs';
import * as path from 'node:path';

export class WriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WriteError';
  }
}

let counter = 0;

/** A sibling name for `target` with this process's pid: `.<name>.<tag>-<pid>-<stamp>`. */
export function tempSibling(target: string, tag: 'tmp' | 'old' = 'tmp'): string {
  const abs = path.resolve(target);
  const stamp = `${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  return path.join(path.dirname(abs), `.${path.basename(abs)}.${tag}-${process.pid}-${stamp}`);
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Remove what a killed writer of `target` left beside it: temporary files or folders of processes
 * that no longer run. A swapped-out old folder is put back when the target itself is missing.
 */
export function removeStaleTemps(target: string): void {
  const abs = path.resolve(target);
  const dir = path.dirname(abs);
  const re = new RegExp(`^\\.+${escapeRe(path.basename(abs))}\\.(tmp|old)-(\\d+)-`);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = re.exec(name);
    if (!m || alive(Number(m[2]))) continue;
    const p = path.join(dir, name);
    try {
      if (m[1] === 'old' && !fs.existsSync(abs) && name.startsWith(`.${path.basename(abs)}.old-`)) fs.renameSync(p, abs);
      else fs.rmSync(p, { recursive: true, force: true });
    } catch {
      /* another process got there first */
    }
  }
}

/** A one-line message for a failed write of `target` (no temporary names, no stack). */
export function writeErrorOf(target: string, e: unknown): WriteError {
  if (e instanceof WriteError) return e;
  const err = e as NodeJS.ErrnoException;
  const dir = path.dirname(path.resolve(target));
  switch (err.code) {
    case 'ENOENT':
      return new WriteError(`${target}: cannot write: the folder ${dir} does not exist`);
    case 'ENOTDIR':
      return new WriteError(`${target}: cannot write: a part of ${dir} is a file, not a folder`);
    case 'EISDIR':
      return new WriteError(`${target}: is a folder; give a file name`);
    case 'EACCES':
    case 'EPERM':
      return new WriteError(`${target}: cannot write: permission denied`);
    case 'EROFS':
      return new WriteError(`${target}: cannot write: read-only file system`);
    case 'ENOSPC':
      return new WriteError(`${target}: cannot write: no space left on the device`);
    default:
      return new WriteError(`${target}: cannot write (${err.code ?? (err instanceof Error ? err.message : String(e))})`);
  }
}

/**
 * Create `dir` and its missing parents one level at a time. (Node 20's recursive mkdir loops
 * forever under /proc; this fails at the first level that cannot be made, naming it.)
 */
export function makeDirs(dir: string): void {
  const abs = path.resolve(dir);
  const missing: string[] = [];
  let p = abs;
  for (;;) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new WriteError(`${p}: cannot use as a folder (${(e as NodeJS.ErrnoException).code})`);
    }
    if (st) {
      if (!st.isDirectory()) throw new WriteError(`${p}: is a file, not a folder`);
      break;
    }
    missing.push(p);
    const up = path.dirname(p);
    if (up === p) break;
    p = up;
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && fs.statSync(d).isDirectory()) continue;
      throw new WriteError(`${d}: cannot create the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
}

function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    /* not every platform can fsync a folder; the rename is still atomic */
  }
}

type Data = string | Uint8Array | Uint8Array[];

/** Write and fsync a file that nobody reads yet (inside a temporary folder). */
export async function writeFileSynced(file: string, data: Data): Promise<void> {
  const fh = await fsp.open(file, 'w');
  try {
    for (const chunk of Array.isArray(data) ? data : [data]) await fh.writeFile(chunk);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Copy a file into a temporary folder, fsync'd. */
export async function copyFileSynced(src: string, dest: string): Promise<void> {
  await fsp.copyFile(src, dest);
  const fh = await fsp.open(dest, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function checkNotFolder(file: string): void {
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new WriteError(`${file}: is a folder; give a file name`);
}

/** Write `data` to `file` atomically (temporary sibling, fsync, rename). The folder must exist. */
export async function writeFileAtomic(file: string, data: Data): Promise<void> {
  checkNotFolder(file);
  removeStaleTemps(file);
  const tmp = tempSibling(file);
  try {
    await writeFileSynced(tmp, data);
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw writeErrorOf(file, e);
  }
  fsyncDir(path.dirname(path.resolve(file)));
}

function writeAllSync(fd: number, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  for (let off = 0; off < bytes.length; ) off += fs.writeSync(fd, bytes, off, bytes.length - off);
}

/** Synchronous writeFileAtomic, for callers that write line by line or cannot await. */
export function writeFileAtomicSync(file: string, data: string | Uint8Array | Iterable<string>): void {
  checkNotFolder(file);
  removeStaleTemps(file);
  const tmp = tempSibling(file);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'w');
    if (typeof data === 'string' || data instanceof Uint8Array) writeAllSync(fd, data);
    else {
      let buf = '';
      for (const s of data) {
        buf += s;
        if (buf.length > 1 << 20) {
          writeAllSync(fd, buf);
          buf = '';
        }
      }
      if (buf) writeAllSync(fd, buf);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw writeErrorOf(file, e);
  }
  fsyncDir(path.dirname(path.resolve(file)));
}

/** Rows as JSON lines, atomically. */
export function writeJsonlAtomic(file: string, rows: Iterable<unknown>): void {
  writeFileAtomicSync(file, (function* () {
    for (const r of rows) yield `${JSON.stringify(r)}\n`;
  })());
}

/**
 * Build a folder atomically: `fill` writes into an empty temporary sibling folder, which then
 * replaces `dir` (an existing `dir` is renamed aside first and deleted only once the new one is in
 * place; on error it is restored). Missing parents are created. Callers decide beforehand whether
 * `dir` may be replaced (src/io/output.ts).
 */
export async function replaceFolderAtomic(dir: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  const target = path.resolve(dir);
  if (fs.existsSync(target) && !fs.statSync(target).isDirectory()) throw new WriteError(`${dir}: is a file, not a folder`);
  makeDirs(path.dirname(target));
  removeStaleTemps(target);
  const tmp = tempSibling(target, 'tmp');
  const old = tempSibling(target, 'old');
  let movedOld = false;
  try {
    await fsp.mkdir(tmp);
  } catch (e) {
    throw writeErrorOf(dir, e);
  }
  try {
    await fill(tmp);
    fsyncDir(tmp);
    if (fs.existsSync(target)) {
      await fsp.rename(target, old);
      movedOld = true;
    }
    await fsp.rename(tmp, target);
  } catch (e) {
    if (movedOld && !fs.existsSync(target)) await fsp.rename(old, target).catch(() => undefined);
    await fsp.rm(tmp, { recursive: true, force: true });
    // Name what the user asked for, not the temporary folder.
    if (e instanceof Error && e.message.includes(tmp)) e.message = e.message.split(tmp).join(target);
    throw e;
  }
  fsyncDir(path.dirname(target));
  if (movedOld) await fsp.rm(old, { recursive: true, force: true });
}

/** A large file written piece by piece (`produce` awaits `write`), then fsync'd and renamed into place. */
export async function writeStreamAtomic<T>(file: string, produce: (write: (chunk: string) => Promise<void>) => Promise<T>): Promise<T> {
  checkNotFolder(file);
  removeStaleTemps(file);
  const tmp = tempSibling(file);
  const stream = fs.createWriteStream(tmp, { encoding: 'utf8' });
  const failed = new Promise<never>((_, reject) => stream.once('error', reject));
  failed.catch(() => undefined);
  try {
    const result = await produce(async (chunk) => {
      if (!stream.write(chunk)) await Promise.race([new Promise<void>((r) => stream.once('drain', () => r())), failed]);
    });
    await Promise.race([new Promise<void>((r) => stream.end(() => r())), failed]);
    const fh = await fsp.open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, file);
    fsyncDir(path.dirname(path.resolve(file)));
    return result;
  } catch (e) {
    stream.destroy();
    await fsp.rm(tmp, { force: true });
    throw e instanceof Error && 'code' in e ? writeErrorOf(file, e) : e;
  }
}
