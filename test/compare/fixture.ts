// Tiny models for the compare tests, pre-trained here on the shipped spam texts (real, just small):
// a bert-nano encoder to fine-tune and a llama-nano decoder for in-context learning.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadExamples } from '../../src/data/dataset.js';
import type { Example } from '../../src/data/dataset.js';
import { pretrain } from '../../src/train/pretrain.js';

export interface Fixture {
  dir: string;
  encoder: string;
  decoder: string;
  train: Example[];
  test: Example[];
}

export async function makeFixture(): Promise<Fixture> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tuneshot-compare-'));
  const encoder = path.join(dir, 'encoder'), decoder = path.join(dir, 'decoder');
  const common = { corpus: ['datasets/spam/train.jsonl'], vocabSize: 512, seqLen: 64, batchSize: 8, steps: 6, checkpointEvery: 100, quiet: true, seed: 1 };
  await pretrain({ ...common, objective: 'mlm', out: encoder, size: 'bert-nano' });
  await pretrain({ ...common, objective: 'clm', out: decoder, size: 'llama-nano' });
  const train = loadExamples('datasets/spam/train.jsonl', { task: 'classify' }).examples.slice(0, 60);
  // A small test slice with both classes.
  const all = loadExamples('datasets/spam/test.jsonl', { task: 'classify' }).examples;
  const test = [...all.filter((e) => e.label === 'ham').slice(0, 8), ...all.filter((e) => e.label === 'spam').slice(0, 8)];
  return { dir, encoder, decoder, train, test };
}
