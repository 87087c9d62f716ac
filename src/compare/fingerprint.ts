// What identifies a model's weights, for cell hashes: a changed model must not reuse old cells.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { parseBackendSpec } from '../icl/backends/index.js';
import { resolveModel } from '../models/resolve.js';

export function sha(x: unknown): string {
  return createHash('sha256').update(typeof x === 'string' ? x : JSON.stringify(x)).digest('hex');
}

/** The resolved folder plus size/mtime of its files (or of the file, or the name itself for remote models). */
export function modelFingerprint(name: string): string {
  try {
    const dir = resolveModel(name);
    const files = readdirSync(dir).filter((f) => /\.(json|safetensors)$/.test(f)).sort();
    return sha([path.resolve(dir), files.map((f) => { const s = statSync(path.join(dir, f)); return [f, s.size, Math.floor(s.mtimeMs)]; })]);
  } catch {
    if (existsSync(name)) { const s = statSync(name); return sha([path.resolve(name), s.size, Math.floor(s.mtimeMs)]); }
    return sha(name);
  }
}

/** Local backends (builtin, llamacpp) by their weights; remote ones by their spec. */
export function iclFingerprint(spec: string): string {
  const { backend, model } = parseBackendSpec(spec);
  return backend === 'builtin' || backend === 'llamacpp' ? sha([backend, modelFingerprint(model)]) : sha(spec);
}
