// The package root, found from this file's own location, so paths to shipped files (models/,
// datasets/, data/) work from src/ under tsx and from dist/ after a build alike.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
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

/** Where tuneshot keeps its state (run registry, response cache): $TUNESHOT_HOME (when set and not empty), else ~/.tuneshot. */
export function tuneshotHome(): string {
  const home = process.env.TUNESHOT_HOME;
  return home !== undefined && home.length > 0 ? home : path.join(homedir(), '.tuneshot');
}
