import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, existsSync } from 'node:fs';
import { builtinDataset, builtinDatasetNames } from '../../src/data/builtin.js';
import { loadExamples } from '../../src/data/dataset.js';
import { reduceEmail, htmlToText, truncateText } from '../../src/data/email.js';

test('builtin spam dataset: files present, balanced, well-formed, disjoint', () => {
  assert.deepEqual(builtinDatasetNames(), ['spam']);
  const ds = builtinDataset('spam');
  assert.ok(existsSync(ds.readme));
  assert.ok(statSync(ds.train).size + statSync(ds.test).size < 1024 * 1024, 'under 1 MB');
  const train = loadExamples(ds.train, { task: 'classify', labels: ds.labels });
  const test_ = loadExamples(ds.test, { task: 'classify', labels: ds.labels });
  const count = (xs: { label?: string }[]) => xs.reduce<Record<string, number>>((m, e) => ((m[e.label!] = (m[e.label!] ?? 0) + 1), m), {});
  assert.deepEqual(count(train.examples), { ham: 400, spam: 400 });
  assert.deepEqual(count(test_.examples), { ham: 150, spam: 150 });
  const trainTexts = new Set(train.examples.map((e) => e.text));
  assert.equal(trainTexts.size, train.examples.length, 'no duplicates in train');
  for (const e of test_.examples) assert.ok(!trainTexts.has(e.text), 'no test text in train');
  for (const e of [...train.examples, ...test_.examples]) {
    assert.ok(e.text.length >= 40 && e.text.length <= 600, `length ${e.text.length}`);
    assert.ok(!/\s{2}|\n/.test(e.text), 'whitespace collapsed');
    assert.ok(!/^(Received|Return-Path|From \S+@)/.test(e.text), 'headers removed');
  }
});

test('builtinDataset rejects unknown names', () => {
  assert.throws(() => builtinDataset('nope' as 'spam'), /unknown built-in dataset/);
});

test('reduceEmail: headers, quoted-printable, multipart, html', () => {
  const raw = [
    'From x@y  Thu Aug 22 13:17:22 2002',
    'Return-Path: <x@y>',
    'Subject: hi',
    'Content-Type: multipart/alternative;',
    '\tboundary="BOUND"',
    '',
    'preamble',
    '--BOUND',
    'Content-Type: text/html; charset=iso-8859-1',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    '<html><body><p>ignored html</p></body></html>',
    '--BOUND',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Caf=C3=A9   is   open=',
    ' today.',
    '--BOUND--',
    '',
  ].join('\n');
  assert.equal(reduceEmail(raw), 'Café is open today.');
  const html = 'Subject: x\nContent-Type: text/html\n\n<html><head><title>t</title></head><body><p>Buy&nbsp;now &amp; save</p><br>50% off</body></html>';
  assert.equal(reduceEmail(html), 'Buy now & save 50% off');
  const b64 = `Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n${Buffer.from('hello base64 world').toString('base64')}\n`;
  assert.equal(reduceEmail(b64), 'hello base64 world');
  assert.equal(htmlToText('a&#65;&#x42;'), 'aAB');
  assert.equal(truncateText('aaaaaaaaaa bbbbbbbbbb cccc', 24), 'aaaaaaaaaa bbbbbbbbbb');
  assert.equal(truncateText('short', 24), 'short');
  assert.equal(reduceEmail('Subject: x\n\n' + 'word '.repeat(500)).length <= 600, true);
});
