// Model names users type, resolved without any download: a folder path, the name of an embedded
// model shipped under models/, or a Hub id already in the Hugging Face cache. (loadPretrained in
// pretrained.ts is the loader; this is for code that only needs to know the folder.)
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../util/paths.js';
import { cachedSnapshot, hubSettings, parseHubRef } from '../hub/index.js';

export const EMBEDDED_MODELS = ['tuneshot-base-encoder', 'tuneshot-base-lm'] as const;

/** A folder for `name`: an existing path, an embedded model, or a cached Hub snapshot. Errors list what exists. */
export function resolveModel(name: string): string {
  if (existsSync(path.join(name, 'config.json'))) return name;
  const embedded = path.join(packageRoot(), 'models', name);
  if ((EMBEDDED_MODELS as readonly string[]).includes(name) && existsSync(path.join(embedded, 'config.json'))) return embedded;
  if (existsSync(name)) throw new Error(`${name}: not a model folder (no config.json)`);
  const ref = parseHubRef(name);
  const cached = ref && cachedSnapshot(hubSettings(), ref);
  if (cached) return cached.dir;
  throw new Error(`model "${name}" not found: give a Hugging Face model folder, one of the embedded models (${EMBEDDED_MODELS.join(', ')}), or a Hub id${ref ? ' (not in the Hugging Face cache yet: loadPretrained or `tuneshot models pull` downloads it)' : ''}`);
}
