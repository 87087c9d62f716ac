// Data files as they come from other tools: a UTF-8 byte-order mark (Windows editors, Excel)
// is stripped from JSONL as from CSV; bytes that are not UTF-8 (a Latin-1 export) are counted in one
// warning naming the file and first line; a folder passed as a file says so. And budgets larger
// than the data run as "all" instead of being reported as a number never drawn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { capBudgets, loadExamples } from '../../src/data/dataset.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tuneshot-enc-'));

test('JSONL with a UTF-8 byte-order mark reads like without', () => {
  const file = path.join(dir, 'bom.jsonl');
  writeFileSync(file, '\uFEFF{"text": "good film", "label": "pos"}\n{"text": "bad film", "label": "neg"}\n');
  const r = loadExamples(file, { task: 'classify' });
  assert.deepEqual(r.labels, ['neg', 'pos']);
  assert.equal(r.examples[0]!.text, 'good film');
});

test('non-UTF-8 bytes: one warning with the count and the first line, text kept', () => {
  const file = path.join(dir, 'latin1.jsonl');
  const lines = ['{"text": "plain ascii", "label": "a"}', '{"text": "caf\xe9 cr\xe8me", "label": "b"}', '{"text": "na\xefve", "label": "a"}'];
  writeFileSync(file, Buffer.from(lines.join('\n') + '\n', 'latin1'));
  const warnings: string[] = [];
  const r = loadExamples(file, { task: 'classify', onWarning: (m) => warnings.push(m) });
  assert.equal(r.examples.length, 3);
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0], `${file}:2: 3 byte sequences are not UTF-8 and were replaced with U+FFFD; save the file as UTF-8`);
  // Valid UTF-8 (including a literal U+FFFD) warns about nothing.
  const ok = path.join(dir, 'utf8.jsonl');
  writeFileSync(ok, '{"text": "café \uFFFD", "label": "a"}\n');
  loadExamples(ok, { task: 'classify', onWarning: (m) => assert.fail(m) });
});

test('a folder given as a data file', () => {
  assert.throws(() => loadExamples(path.join(dir, 'x.jsonl/..'), { task: 'classify', format: 'jsonl' }), /is a folder, not a data file/);
});

test('budgets above the largest class run as "all", said once', () => {
  const examples = [...Array(10).fill({ label: 'a' }), ...Array(16).fill({ label: 'b' })];
  assert.deepEqual(capBudgets([0, 4, 16], examples), { budgets: [0, 4, 16] });
  const r = capBudgets([0, 16, 1000, 5000, 'all'], examples);
  assert.deepEqual(r.budgets, [0, 16, 'all']);
  assert.equal(r.note, 'budgets 1000, 5000 a class are more than the training data has (largest class: 16 examples); run as "all" (all 26 examples)');
});
