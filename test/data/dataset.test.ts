import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadExamples, sampleBudget, DataError, type Example } from '../../src/data/dataset.js';
import { mulberry32, shuffle } from '../../src/data/random.js';

const dir = mkdtempSync(join(tmpdir(), 'tuneshot-data-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(ext: string, content: string): string {
  const p = join(dir, `f${n++}.${ext}`);
  writeFileSync(p, content);
  return p;
}

/** Assert that fn throws a DataError naming file, line and (optionally) field. */
function expectDataError(fn: () => unknown, path: string, line: number | undefined, field: string | undefined, re?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DataError, `expected DataError, got ${String(e)}`);
    assert.equal(e.file, path);
    assert.equal(e.line, line);
    assert.equal(e.field, field);
    assert.ok(e.message.includes(line === undefined ? path : `${path}:${line}`), e.message);
    if (field !== undefined) assert.ok(e.message.includes(`"${field}"`), e.message);
    if (re) assert.match(e.message, re);
    return true;
  });
}

test('jsonl classification: examples and sorted labels', () => {
  const p = file('jsonl', '{"text":"hello","label":"b"}\n\n{"text":"world","label":"a"}\r\n{"text":"x","label":"b","extra":1}\n');
  const { examples, labels } = loadExamples(p, { task: 'classify' });
  assert.deepEqual(labels, ['a', 'b']);
  assert.deepEqual(examples, [
    { text: 'hello', label: 'b' },
    { text: 'world', label: 'a' },
    { text: 'x', label: 'b' },
  ]);
});

test('custom fields, text pairs and a given label set (order kept)', () => {
  const p = file('jsonl', '{"s1":"a","s2":"b","y":"yes"}\n{"s1":"c","s2":"d","y":"no"}\n');
  const r = loadExamples(p, { task: 'classify', textField: 's1', textPairField: 's2', labelField: 'y', labels: ['yes', 'no', 'maybe'] });
  assert.deepEqual(r.labels, ['yes', 'no', 'maybe']);
  assert.deepEqual(r.examples[1], { text: 'c', textPair: 'd', label: 'no' });
});

test('generation task reads prompt and completion', () => {
  const p = file('jsonl', '{"prompt":"2+2=","completion":" 4"}\n{"q":"x","a":"y"}\n');
  assert.throws(() => loadExamples(p, { task: 'generate' }), DataError);
  const p2 = file('jsonl', '{"q":"2+2=","a":" 4"}\n');
  const r = loadExamples(p2, { task: 'generate', promptField: 'q', completionField: 'a' });
  assert.deepEqual(r.examples, [{ text: '2+2=', prompt: '2+2=', completion: ' 4' }]);
  assert.deepEqual(r.labels, []);
});

test('error: malformed JSON names file and line', () => {
  const p = file('jsonl', '{"text":"ok","label":"a"}\n{"text": "broken",\n');
  expectDataError(() => loadExamples(p, { task: 'classify' }), p, 2, undefined, /malformed JSON/);
});

test('error: a line that is not an object', () => {
  const p = file('jsonl', '[1,2]\n');
  expectDataError(() => loadExamples(p, { task: 'classify' }), p, 1, undefined, /JSON object/);
});

test('error: missing text field', () => {
  const p = file('jsonl', '{"text":"ok","label":"a"}\n{"label":"a"}\n');
  expectDataError(() => loadExamples(p, { task: 'classify' }), p, 2, 'text', /missing/);
});

test('error: missing label field', () => {
  const p = file('jsonl', '{"text":"ok"}\n');
  expectDataError(() => loadExamples(p, { task: 'classify' }), p, 1, 'label', /missing/);
});

test('labelOptional: unlabelled rows are kept for predict, labelled rows still checked', () => {
  const p = file('jsonl', '{"text":"one"}\n{"text":"two","label":"b"}\n{"text":"three","label":null}\n');
  const { examples, labels } = loadExamples(p, { task: 'classify', labelOptional: true });
  assert.deepEqual(examples, [{ text: 'one' }, { text: 'two', label: 'b' }, { text: 'three' }]);
  assert.deepEqual(labels, ['b']);
  const bad = file('jsonl', '{"text":"ok","label":1}\n');
  expectDataError(() => loadExamples(bad, { task: 'classify', labelOptional: true }), bad, 1, 'label', /must be a string/);
});

test('error: missing text pair field', () => {
  const p = file('jsonl', '{"text":"ok","label":"a"}\n');
  expectDataError(() => loadExamples(p, { task: 'classify', textPairField: 'text2' }), p, 1, 'text2', /missing/);
});

test('error: empty text', () => {
  const p = file('jsonl', '{"text":"ok","label":"a"}\n{"text":"a","label":"a"}\n{"text":"   ","label":"a"}\n');
  expectDataError(() => loadExamples(p, { task: 'classify' }), p, 3, 'text', /empty text/);
});

test('error: non-string text', () => {
  const p = file('jsonl', '{"text":5,"label":"a"}\n');
  expectDataError(() => loadExamples(p, { task: 'classify' }), p, 1, 'text', /string/);
});

test('error: non-string label', () => {
  const p = file('jsonl', '{"text":"ok","label":1}\n');
  expectDataError(() => loadExamples(p, { task: 'classify' }), p, 1, 'label', /must be a string/);
});

test('error: label outside the given label set', () => {
  const p = file('jsonl', '{"text":"ok","label":"a"}\n{"text":"ok","label":"c"}\n');
  expectDataError(() => loadExamples(p, { task: 'classify', labels: ['a', 'b'] }), p, 2, 'label', /not in the label set/);
});

test('error: empty prompt / missing completion in generation', () => {
  const p = file('jsonl', '{"prompt":"","completion":"x"}\n');
  expectDataError(() => loadExamples(p, { task: 'generate' }), p, 1, 'prompt', /empty text/);
  const p2 = file('jsonl', '{"prompt":"p","completion":"x"}\n{"prompt":"p"}\n');
  expectDataError(() => loadExamples(p2, { task: 'generate' }), p2, 2, 'completion', /missing/);
});

test('error: missing file and unknown extension', () => {
  const missing = join(dir, 'nope.jsonl');
  expectDataError(() => loadExamples(missing, { task: 'classify' }), missing, undefined, undefined, /cannot read/);
  const p = file('txt', 'x');
  expectDataError(() => loadExamples(p, { task: 'classify' }), p, undefined, undefined, /format/);
});

test('csv: header, quoting, embedded commas and newlines, BOM', () => {
  const p = file('csv', '\uFEFFtext,label\n"hello, world",spam\n"two\nlines",ham\nplain,ham\n');
  const r = loadExamples(p, { task: 'classify' });
  assert.deepEqual(r.labels, ['ham', 'spam']);
  assert.deepEqual(r.examples, [
    { text: 'hello, world', label: 'spam' },
    { text: 'two\nlines', label: 'ham' },
    { text: 'plain', label: 'ham' },
  ]);
  // format can be forced regardless of extension
  const q = file('data', 'text,label\na,b\n');
  assert.equal(loadExamples(q, { task: 'classify', format: 'csv' }).examples.length, 1);
});

test('csv error: wrong column count names the line', () => {
  const p = file('csv', 'text,label\na,x\nb,y,z\n');
  expectDataError(() => loadExamples(p, { task: 'classify' }), p, 3, undefined, /3 columns, header has 2/);
});

test('csv error: missing column is a missing field; empty cell is empty text', () => {
  const p = file('csv', 'body,label\na,x\n');
  expectDataError(() => loadExamples(p, { task: 'classify' }), p, 2, 'text', /missing/);
  const q = file('csv', 'text,label\na,x\n,y\n');
  expectDataError(() => loadExamples(q, { task: 'classify' }), q, 3, 'text', /empty text/);
});

test('csv error: unterminated quote', () => {
  const p = file('csv', 'text,label\n"open,x\n');
  assert.throws(() => loadExamples(p, { task: 'classify' }), (e: unknown) => e instanceof DataError && e.message.startsWith(p) && /malformed CSV/.test(e.message));
});

test('mulberry32 and shuffle are deterministic', () => {
  const a = mulberry32(42);
  const b = mulberry32(42);
  for (let i = 0; i < 5; i++) {
    const x = a();
    assert.equal(x, b());
    assert.ok(x >= 0 && x < 1);
  }
  const items = Array.from({ length: 50 }, (_, i) => i);
  const s1 = shuffle(items, 7);
  assert.deepEqual(s1, shuffle(items, 7));
  assert.notDeepEqual(s1, shuffle(items, 8));
  assert.deepEqual([...s1].sort((x, y) => x - y), items);
  assert.deepEqual(items, Array.from({ length: 50 }, (_, i) => i), 'input untouched');
});

function makeExamples(): Example[] {
  const out: Example[] = [];
  for (let i = 0; i < 40; i++) out.push({ text: `a${i}`, label: 'a' });
  for (let i = 0; i < 25; i++) out.push({ text: `b${i}`, label: 'b' });
  for (let i = 0; i < 10; i++) out.push({ text: `c${i}`, label: 'c' });
  return out;
}

test('sampleBudget: balanced, deterministic, nested', () => {
  const ex = makeExamples();
  const count = (pool: Example[]) => pool.reduce<Record<string, number>>((m, e) => ((m[e.label!] = (m[e.label!] ?? 0) + 1), m), {});
  const p4 = sampleBudget(ex, 4, 1);
  assert.deepEqual(count(p4), { a: 4, b: 4, c: 4 });
  assert.deepEqual(p4, sampleBudget(ex, 4, 1), 'deterministic');
  assert.notDeepEqual(p4, sampleBudget(ex, 4, 2), 'seed matters');
  const p16 = sampleBudget(ex, 16, 1);
  assert.deepEqual(count(p16), { a: 16, b: 16, c: 10 }, 'small classes give all they have');
  const set16 = new Set(p16);
  for (const e of p4) assert.ok(set16.has(e), 'k=4 pool is a subset of the k=16 pool');
  assert.deepEqual(p16.slice(0, p4.length), p4, 'and in fact a prefix');
  assert.equal(new Set(p16).size, p16.length, 'no duplicates');
  const all = sampleBudget(ex, 'all', 3);
  assert.equal(all.length, ex.length);
  assert.equal(sampleBudget(ex, 0, 3).length, 0);
  assert.throws(() => sampleBudget(ex, -1, 3), RangeError);
  assert.throws(() => sampleBudget(ex, 1.5, 3), RangeError);
});

test('sampleBudget: unlabelled examples form one group', () => {
  const ex = Array.from({ length: 10 }, (_, i) => ({ text: String(i) }));
  const p = sampleBudget(ex, 3, 5);
  assert.equal(p.length, 3);
  assert.deepEqual(sampleBudget(ex, 6, 5).slice(0, 3), p);
});
