// The shared benchmark datasets (../shared/datasets beside the project root) and the scikit-learn peer.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { loadExamples, type Example } from '../../src/data/index.js';

export const SHARED = path.resolve(process.env.TUNESHOT_SHARED_DATASETS ?? '../shared/datasets');

export function sharedSplit(name: 'sst2' | 'trec' | 'agnews', split: 'train' | 'dev' | 'test'): Example[] {
  const file = path.join(SHARED, name, `${split}.jsonl`);
  if (!existsSync(file)) throw new Error(`${file} not found: benchmarks read the shared datasets from ../shared/datasets (or TUNESHOT_SHARED_DATASETS)`);
  return loadExamples(file, { task: 'classify' }).examples;
}

/** Debian's python3 with scikit-learn (apt-get install python3-sklearn). */
export function tfidfAccuracy(train: Example[], test: Example[]): number | null {
  const py = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  try {
    const out = execFileSync(py, [path.join(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), 'tfidf_lr.py')], {
      input: JSON.stringify({ train: train.map((e) => [e.text, e.label]), test: test.map((e) => [e.text, e.label]) }), encoding: 'utf8', maxBuffer: 1 << 28,
    });
    return JSON.parse(out).accuracy;
  } catch (e) {
    process.stderr.write(`TF-IDF + LR peer unavailable (python3-sklearn): ${(e as Error).message.split('\n')[0]}\n`);
    return null;
  }
}
