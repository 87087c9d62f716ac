// The package root, found from this file's own location, so paths to shipped files (models/,
// datasets/, data/) work from src/ under tsx and from dist/ after a build alike.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the tuneshot package root (the nearest folder above this file holding package.json). */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the tuneshot package root');
    dir = up;
  }
  return dir;
}
