// The streamed text of a generation: only settled text is handed on (no half characters, no
// possible start of a stop sequence), the pieces always add up to the final text, and a real
// byte-level tokenizer decoding a character byte by byte never shows U+FFFD to the stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TextStream, settledLength } from '../../src/models/text-stream.js';
import { Tokenizer } from '../../src/formats/tokenizer.js';
import { writeBpeTokenizer } from '../fixtures/tiny-tokenizers.js';

test('settledLength holds back incomplete characters and possible stop-sequence starts', () => {
  assert.equal(settledLength('hello', []), 5);
  assert.equal(settledLength('caf\uFFFD', []), 3);
  assert.equal(settledLength('a\uFFFDb', []), 3, 'a replacement character followed by text is final');
  assert.equal(settledLength('hello\nUs', ['\nUser:']), 5);
  assert.equal(settledLength('hello\nUs', ['\nUser:', 'lo\nUsX']), 3, 'the longest held suffix wins');
  assert.equal(settledLength('hello\n', ['\nUser:', '\n\n']), 5);
  assert.equal(settledLength('hello', ['xyz']), 5);
  assert.equal(settledLength('ab', ['abc']), 0);
});

test('TextStream pieces add up to the final text, whatever the stops and endings', () => {
  const cases: Array<{ steps: string[]; final: string; stops: string[] }> = [
    { steps: ['a', 'ab', 'ab\n', 'ab\nU'], final: 'ab', stops: ['\nUser:'] },
    { steps: ['a', 'ab', 'ab\n', 'ab\nx'], final: 'ab\nx', stops: ['\nUser:'] },
    { steps: ['\uFFFD', '\uFFFD\uFFFD', 'é', 'é\uFFFD'], final: 'é\uFFFD', stops: [] },
    { steps: ['x', 'xy'], final: 'xyz', stops: [] },
  ];
  for (const c of cases) {
    const pieces: string[] = [];
    const s = new TextStream(c.stops, (p) => pieces.push(p));
    for (const step of c.steps) s.update(step);
    s.end(c.final);
    assert.equal(pieces.join(''), c.final, JSON.stringify(c));
    assert.ok(pieces.every((p) => p.length > 0));
  }
});

test('a real byte-level tokenizer: "naïve 😀 中文" token by token streams no U+FFFD', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tuneshot-text-stream-'));
  await writeBpeTokenizer(dir);
  const tok = await Tokenizer.fromFolder(dir);
  const text = 'naïve 😀 中文';
  const ids = tok.encode(text, null, { addSpecialTokens: false });
  assert.ok(ids.length > [...text].length, 'some characters are split across tokens');
  const pieces: string[] = [];
  const s = new TextStream([], (p) => pieces.push(p));
  let sawReplacement = false;
  for (let i = 1; i <= ids.length; i++) {
    const decoded = tok.decode(ids.slice(0, i));
    sawReplacement ||= decoded.includes('\uFFFD');
    s.update(decoded);
  }
  s.end(tok.decode(ids));
  assert.ok(sawReplacement, 'the decoder does show half characters as U+FFFD');
  assert.equal(pieces.join(''), text);
  assert.ok(pieces.every((p) => !p.includes('\uFFFD')));
});
