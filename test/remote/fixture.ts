// Shipped spam examples for the remote fine-tuning tests: a balanced training slice, a dev slice and
// a test slice, written as JSONL to a temporary folder.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadExamples, type Example } from '../../src/data/dataset.js';

export interface RemoteFixture {
  dir: string;
  train: Example[];
  dev: Example[];
  test: Example[];
  trainFile: string;
  devFile: string;
  testFile: string;
}

const balanced = (xs: Example[], n: number, skip = 0) => [
  ...xs.filter((e) => e.label === 'ham').slice(skip, skip + n),
  ...xs.filter((e) => e.label === 'spam').slice(skip, skip + n),
];

export function writeJsonl(file: string, rows: Example[]): string {
  writeFileSync(file, rows.map((e) => JSON.stringify({ text: e.text, label: e.label })).join('\n') + '\n');
  return file;
}

export function makeRemoteFixture(): RemoteFixture {
  const dir = mkdtempSync(path.join(tmpdir(), 'tuneshot-remote-'));
  const all = loadExamples('datasets/spam/train.jsonl', { task: 'classify' }).examples;
  // Texts cut to 300 characters keep the JSONL small; the fine-tuning format does not depend on length.
  const cut = (e: Example): Example => ({ ...e, text: e.text.slice(0, 300) });
  const train = balanced(all, 6).map(cut);
  const dev = balanced(all, 2, 6).map(cut);
  const test = balanced(loadExamples('datasets/spam/test.jsonl', { task: 'classify' }).examples, 3).map(cut);
  return {
    dir, train, dev, test,
    trainFile: writeJsonl(path.join(dir, 'train.jsonl'), train),
    devFile: writeJsonl(path.join(dir, 'dev.jsonl'), dev),
    testFile: writeJsonl(path.join(dir, 'test.jsonl'), test),
  };
}
