// Model names users type: a folder path, or the name of an embedded model shipped under models/.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../util/paths.js';

export const EMBEDDED_MODELS = ['tuneshot-base-encoder', 'tuneshot-base-lm'] as const;

/** A folder for `name`: an existing path, or an embedded model. Errors list what exists. */
export function resolveModel(name: string): string {
  if (existsSync(path.join(name, 'config.json'))) return name;
  const embedded = path.join(packageRoot(), 'models', name);
  if ((EMBEDDED_MODELS as readonly string[]).includes(name) && existsSync(path.join(embedded, 'config.json'))) return embedded;
  if (existsSync(name)) throw new Error(`${name}: not a model folder (no config.json)`);
  throw new Error(`model "${name}" not found: give a Hugging Face model folder, or one of the embedded models: ${EMBEDDED_MODELS.join(', ')}`);
}
