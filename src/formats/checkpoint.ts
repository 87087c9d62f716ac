/**
 * Hugging Face model folder I/O: config.json + model.safetensors (or sharded) + tokenizer files.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { copyFileSynced, replaceFolderAtomic, writeFileSynced } from '../io/atomic.js';
import { exists, readSafetensorsFolder, serializeSafetensors, type TensorMap, type TensorsInput } from './safetensors.js';

export interface Checkpoint {
  config: Record<string, unknown>;
  tensors: TensorMap;
  dir: string;
}

export interface WriteCheckpointOptions {
  config: Record<string, unknown>;
  tensors: TensorsInput;
  /** Folder to copy tokenizer files from (those of TOKENIZER_FILES that exist there). */
  tokenizerFrom?: string;
  /** Extra files to write, by relative file name (e.g. generation_config.json). */
  extraFiles?: Record<string, string | Uint8Array>;
  /** safetensors `__metadata__`; defaults to { format: 'pt' } like transformers. */
  metadata?: Record<string, string>;
}

/** Tokenizer-related files copied by writeCheckpoint's `tokenizerFrom`. */
export const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.txt',
  'vocab.json',
  'merges.txt',
  'tokenizer.model',
  'spiece.model',
  'sentencepiece.bpe.model',
  'chat_template.jinja',
  'chat_template.json',
];

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

/** Read a Hugging Face model folder (config.json required). */
export async function readCheckpoint(dir: string): Promise<Checkpoint> {
  const configPath = path.join(dir, 'config.json');
  let text: string;
  try {
    text = await fsp.readFile(configPath, 'utf-8');
  } catch (e) {
    throw new CheckpointError(`${configPath}: cannot read model config: ${(e as Error).message}`);
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`${configPath}: bad JSON: ${(e as Error).message}`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new CheckpointError(`${configPath}: not a JSON object`);
  }
  const tensors = await readSafetensorsFolder(dir);
  return { config: config as Record<string, unknown>, tensors, dir };
}


/**
 * Write a model folder atomically (src/io/atomic.ts): everything goes into a sibling temp folder
 * which is renamed into place at the end, so `dir` is never half-written. Whether `dir` may be
 * replaced is the caller's decision (src/io/output.ts for user-named outputs).
 */
export async function writeCheckpoint(dir: string, opts: WriteCheckpointOptions): Promise<void> {
  await replaceFolderAtomic(dir, async (tmp) => {
    await writeFileSynced(path.join(tmp, 'config.json'), JSON.stringify(opts.config, null, 2) + '\n');
    await writeFileSynced(path.join(tmp, 'model.safetensors'), serializeSafetensors(opts.tensors, opts.metadata ?? { format: 'pt' }));
    if (opts.tokenizerFrom !== undefined) {
      let copied = 0;
      for (const name of TOKENIZER_FILES) {
        const src = path.join(opts.tokenizerFrom, name);
        if (await exists(src)) {
          await copyFileSynced(src, path.join(tmp, name));
          copied++;
        }
      }
      if (copied === 0) throw new CheckpointError(`${opts.tokenizerFrom}: no tokenizer files found to copy (looked for ${TOKENIZER_FILES.join(', ')})`);
    }
    for (const [name, content] of Object.entries(opts.extraFiles ?? {})) {
      const rel = path.normalize(name);
      if (path.isAbsolute(rel) || rel.startsWith('..')) throw new CheckpointError(`extra file name ${JSON.stringify(name)} must be relative and inside the folder`);
      const dest = path.join(tmp, rel);
      await fsp.mkdir(path.dirname(dest), { recursive: true });
      await writeFileSynced(dest, content);
    }
  });
}
