// Built-in datasets that ship with the repository (datasets/<name>/).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/paths.js';

export type BuiltinDatasetName = 'spam';

export interface BuiltinDataset {
  name: BuiltinDatasetName;
  task: 'classify';
  train: string;
  test: string;
  labels: string[];
  readme: string;
}

const BUILTINS: Record<BuiltinDatasetName, { task: 'classify'; labels: string[] }> = {
  spam: { task: 'classify', labels: ['ham', 'spam'] },
};

/** Paths (and label set) of a built-in dataset, e.g. `builtinDataset('spam')`. */
export function builtinDataset(name: BuiltinDatasetName): BuiltinDataset {
  const meta = BUILTINS[name];
  if (!meta) throw new Error(`unknown built-in dataset ${JSON.stringify(name)}; available: ${Object.keys(BUILTINS).join(', ')}`);
  const dir = join(packageRoot(), 'datasets', name);
  const ds: BuiltinDataset = {
    name,
    task: meta.task,
    train: join(dir, 'train.jsonl'),
    test: join(dir, 'test.jsonl'),
    labels: meta.labels.slice(),
    readme: join(dir, 'README.md'),
  };
  for (const p of [ds.train, ds.test]) {
    if (!existsSync(p)) throw new Error(`built-in dataset ${name} is missing ${p}; rebuild it with \`npm run spam-dataset\``);
  }
  return ds;
}

/** Names of all built-in datasets. */
export function builtinDatasetNames(): BuiltinDatasetName[] {
  return Object.keys(BUILTINS) as BuiltinDatasetName[];
}
