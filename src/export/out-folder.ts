// The output folder of an export, written atomically: files go into a hidden sibling folder that is
// renamed into place at the end, so `out` is never half-written (a killed export leaves only the
// hidden folder, which the next export to the same `out` removes). An existing `out` is replaced
// only when it is empty or a previous export (it holds EXPORT_MARKER); anything else is refused,
// because tuneshot never deletes what it did not create.
import { existsSync, promises as fsp, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

/** Written into every export folder: what made it (and the proof that replacing it is safe). */
export const EXPORT_MARKER = 'tuneshot_export.json';

export class OutFolderError extends Error {
  override name = 'OutFolderError';
}

/** Throws when `out` exists and may not be replaced. */
export function checkOutFolder(out: string): void {
  const target = path.resolve(out);
  if (!existsSync(target)) return;
  if (!statSync(target).isDirectory()) throw new OutFolderError(`--out ${out}: exists and is a file, not a folder`);
  const entries = readdirSync(target);
  if (entries.length > 0 && !entries.includes(EXPORT_MARKER)) {
    throw new OutFolderError(`--out ${out}: folder exists and is not empty (and not a previous tuneshot export); choose a new folder`);
  }
}

/**
 * Run `write(tmpDir)` and move its result to `out`. The marker file is written last, so a folder
 * holding it is a complete export.
 */
export async function writeOutFolder(out: string, marker: Record<string, unknown>, write: (dir: string) => Promise<void>): Promise<string> {
  checkOutFolder(out);
  const target = path.resolve(out);
  const parent = path.dirname(target), base = path.basename(target);
  await fsp.mkdir(parent, { recursive: true });
  await removeStaleTemp(parent, base);
  const stamp = `${process.pid}-${Date.now().toString(36)}`;
  const tmp = path.join(parent, `.${base}.tmp-${stamp}`), old = path.join(parent, `.${base}.old-${stamp}`);
  await fsp.mkdir(tmp);
  let movedOld = false;
  try {
    await write(tmp);
    await fsp.writeFile(path.join(tmp, EXPORT_MARKER), JSON.stringify(marker, null, 2) + '\n');
    checkOutFolder(out); // again: something may have appeared there while we wrote
    if (existsSync(target)) {
      await fsp.rename(target, old);
      movedOld = true;
    }
    await fsp.rename(tmp, target);
  } catch (e) {
    if (movedOld && !existsSync(target)) await fsp.rename(old, target).catch(() => undefined);
    await fsp.rm(tmp, { recursive: true, force: true });
    throw e;
  }
  if (movedOld) await fsp.rm(old, { recursive: true, force: true });
  return target;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Temp folders of earlier exports to `base` whose process is gone (killed mid-export). */
async function removeStaleTemp(parent: string, base: string): Promise<void> {
  const prefix = `.${base}.tmp-`;
  for (const name of await fsp.readdir(parent)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !alive(pid)) await fsp.rm(path.join(parent, name), { recursive: true, force: true });
  }
}
