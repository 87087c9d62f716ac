// Property test of the data readers: random bytes, random JSON lines and random CSV never crash
// with anything but a DataError that names the file (and the line, for a bad row), and a run fed
// such a file writes no output. Seeded, so a failure reproduces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DataError, loadExamples, type LoadOptions } from '../../src/data/dataset.js';
import { mulberry32 } from '../../src/engine/random.js';
import { finetune } from '../../src/train/finetune.js';
import { writeTinyEncoder } from '../fixtures/tiny-encoder.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tuneshot-prop-'));
const rand = mulberry32(20251128);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;

const PIECES = ['text', 'label', 'good', 'bad', '', ' ', '"', ',', '\n', '\r\n', '{', '}', '[', ']', ':', '\\', 'é', '\u0000', '\uFEFF', 'null', '0', '""'];

function randomBytes(): Buffer {
  const n = int(300);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rand() < 0.3 ? pick([0x0a, 0x22, 0x2c, 0x7b, 0x7d, 0x3a, 0xef, 0xbb, 0xbf, 0xff, 0xc3]) : int(256);
  return b;
}

function randomValue(depth = 0): unknown {
  switch (int(depth > 1 ? 5 : 8)) {
    case 0: return pick(['good', 'bad', '', '  ', 'the film', 'x'.repeat(int(50))]);
    case 1: return int(3) - 1;
    case 2: return null;
    case 3: return rand() < 0.5;
    case 4: return pick(PIECES);
    case 5: return Array.from({ length: int(3) }, () => randomValue(depth + 1));
    default: return randomObject(depth + 1);
  }
}

function randomObject(depth = 0): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = int(4); i >= 0; i--) o[pick(['text', 'label', 'text_b', 'prompt', 'completion', 'other', '__proto__'])] = randomValue(depth);
  return o;
}

const goodRow = () => ({ text: pick(['the film was good', 'bad movie', ' é ']), label: pick(['good', 'bad']), prompt: 'a', completion: 'b', text_b: 'c', ...(rand() < 0.3 ? { other: randomValue() } : {}) });

function randomJsonl(): string {
  const valid = rand() < 0.5 ? 0.97 : 0.3; // mostly-good files reach the success path, others the errors
  return Array.from({ length: int(8) }, () => {
    const r = rand();
    if (r < valid) return JSON.stringify(goodRow());
    if (r < 0.6 + valid * 0.4) return JSON.stringify(randomObject());
    if (r < 0.8) return JSON.stringify(randomValue());
    return JSON.stringify(randomObject()).slice(0, int(30)) + pick(PIECES);
  }).join(pick(['\n', '\r\n', '\n\n']));
}

function randomCsv(): string {
  const cols = rand() < 0.5 ? ['text', 'label', 'text_b', 'prompt', 'completion'] : Array.from({ length: 1 + int(4) }, () => pick(['text', 'label', 'text_b', 'other', '', ' text ', 'label']));
  const cell = () => {
    const v = rand() < 0.7 ? pick(['good', 'bad']) : pick(['', 'a,b', 'say "hi"', 'two\nlines', ' ', 'é']);
    return rand() < 0.4 ? `"${v.replace(/"/g, '""')}"` : rand() < 0.05 ? `"${v}` : v.replace(/[\n,"]/g, '');
  };
  const width = () => (rand() < 0.8 ? cols.length : Math.max(1, cols.length + int(3) - 1));
  const rows = Array.from({ length: int(6) }, () => Array.from({ length: width() }, cell).join(','));
  return [cols.join(','), ...rows].join(pick(['\n', '\r\n']));
}

const OPTIONS: Array<Omit<LoadOptions, 'onWarning'>> = [
  { task: 'classify' },
  { task: 'classify', labelOptional: true },
  { task: 'classify', labels: ['good', 'bad'] },
  { task: 'classify', textPairField: 'text_b' },
  { task: 'generate' },
];

function check(file: string, content: Buffer | string): 'ok' | 'error' {
  writeFileSync(file, content);
  const lines = (typeof content === 'string' ? content : content.toString('latin1')).split('\n').length;
  const options = pick(OPTIONS);
  const warnings: string[] = [];
  try {
    const r = loadExamples(file, { ...options, onWarning: (m) => warnings.push(m) });
    assert.ok(r.examples.length > 0);
    for (const e of r.examples) assert.ok(typeof e.text === 'string' && e.text.trim() !== '');
    for (const w of warnings) assert.ok(w.startsWith(`${file}:`), w);
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof DataError, `${file} (${JSON.stringify(options)}): not a DataError: ${(e as Error).stack}\n${JSON.stringify(content.toString())}`);
    assert.equal(e.file, file);
    assert.ok(e.message.startsWith(file), e.message);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    if (e.line !== undefined) assert.ok(e.line >= 1 && e.line <= lines + 1, `line ${e.line} of ${lines}: ${e.message}`);
    else assert.match(e.message, /no examples found|malformed CSV|cannot read/, e.message);
    return 'error';
  }
}

test('random bytes, JSON lines and CSV: only DataErrors naming file (and line)', () => {
  const seen = { ok: 0, error: 0 };
  for (let i = 0; i < 400; i++) {
    const kind = i % 3;
    const file = path.join(dir, `case-${i}.${kind === 2 ? 'csv' : 'jsonl'}`);
    seen[check(file, kind === 0 ? randomBytes() : kind === 1 ? randomJsonl() : randomCsv())]++;
  }
  // The generator reaches both outcomes (a property test that only ever errors proves little).
  assert.ok(seen.ok > 10 && seen.error > 100, JSON.stringify(seen));
});

test('a run fed a broken data file writes no output', { timeout: 60_000 }, async () => {
  const enc = await writeTinyEncoder(path.join(dir, 'model'));
  const bad = [randomBytes(), '{"text": "good", "label": "good"}\n{"text": 3}\n', 'text,label\n"good,good\n'];
  for (const [i, content] of bad.entries()) {
    const file = path.join(dir, `broken-${i}.${i === 2 ? 'csv' : 'jsonl'}`);
    writeFileSync(file, content);
    const out = path.join(dir, `out-${i}`);
    await assert.rejects(finetune({ model: enc, train: file, method: 'head', maxSteps: 1, out, quiet: true, fields: {} }), DataError);
    assert.equal(existsSync(out), false);
    assert.equal(existsSync(`${out}.work`), false);
  }
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('out-') || f.startsWith('.out-')), []);
});
