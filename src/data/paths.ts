// Paths resolved relative to the package root, so they work from src/ (tsx) and dist/ alike:
// both src/data/*.ts and dist/data/*.js sit two levels below the root.
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

/** Absolute path of the tuneshot package root (the folder holding package.json). */
export function packageRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}
