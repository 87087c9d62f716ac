import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Tokenizer } from '../../src/formats/tokenizer.js';
import { writeBertTokenizer, writeBpeTokenizer, BPE_EOS } from '../fixtures/tiny-tokenizers.js';

async function tmp(): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), 'tuneshot-tok-'));
}

test('WordPiece (BERT-style): specials, pairs, type ids, decode', async () => {
  const dir = await tmp();
  const vocab = await writeBertTokenizer(dir);
  const tok = await Tokenizer.fromFolder(dir);
  const id = (t: string): number => vocab.get(t)!;
  assert.equal(tok.padId, id('[PAD]'));
  assert.equal(tok.clsId, id('[CLS]'));
  assert.equal(tok.sepId, id('[SEP]'));
  assert.equal(tok.maskId, id('[MASK]'));
  assert.equal(tok.unkId, id('[UNK]'));
  assert.equal(tok.bosId, undefined);
  assert.equal(tok.eosId, undefined);
  assert.equal(tok.modelMaxLength, 32);
  assert.equal(tok.vocabSize, vocab.size);
  assert.equal(tok.tokenToId('cat'), id('cat'));
  assert.equal(tok.chatTemplate, undefined);

  // Lower-casing, punctuation split, ## continuation pieces.
  const ids = tok.encode('The cat sat, playing!');
  assert.deepEqual(ids, [id('[CLS]'), id('the'), id('cat'), id('sat'), id(','), id('play'), id('##ing'), id('!'), id('[SEP]')]);
  assert.deepEqual(tok.encode('The cat', null, { addSpecialTokens: false }), [id('the'), id('cat')]);
  // Unknown characters map to [UNK].
  assert.deepEqual(tok.encode('cat €', null, { addSpecialTokens: false }), [id('cat'), id('[UNK]')]);
  // Pair.
  assert.deepEqual(tok.encode('the cat', 'a dog'), [id('[CLS]'), id('the'), id('cat'), id('[SEP]'), id('a'), id('dog'), id('[SEP]')]);
  assert.deepEqual(tok.encodeWithTypes('the cat', 'a dog').typeIds, [0, 0, 0, 0, 1, 1, 1]);
  assert.equal(tok.numSpecialTokens(false), 2);
  assert.equal(tok.numSpecialTokens(true), 3);

  assert.equal(tok.decode(ids, { skipSpecialTokens: true }), 'the cat sat, playing!');
  assert.match(tok.decode(ids), /^\[CLS\] the cat .*\[SEP\]$/);
  assert.equal(tok.decode([]), '');
});

test('WordPiece batch: padding longest / max_length, truncation longest-first, pairs', async () => {
  const dir = await tmp();
  const vocab = await writeBertTokenizer(dir);
  const tok = await Tokenizer.fromFolder(dir);
  const id = (t: string): number => vocab.get(t)!;
  const b = tok.encodeBatch(['the cat', 'the cat sat on the mat']);
  assert.equal(b.truncatedCount, 0);
  assert.deepEqual(b.inputIds[0], [id('[CLS]'), id('the'), id('cat'), id('[SEP]'), 0, 0, 0, 0]);
  assert.deepEqual(b.attentionMask[0], [1, 1, 1, 1, 0, 0, 0, 0]);
  assert.deepEqual(b.attentionMask[1], [1, 1, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual(b.tokenTypeIds[1], [0, 0, 0, 0, 0, 0, 0, 0]);

  const m = tok.encodeBatch(['the cat'], { padding: 'max_length', maxLength: 6 });
  assert.deepEqual(m.inputIds, [[id('[CLS]'), id('the'), id('cat'), id('[SEP]'), id('[PAD]'), id('[PAD]')]]);

  // Truncation of a single text keeps the final [SEP].
  const t = tok.encodeBatch(['the cat sat on the mat', 'a dog'], { maxLength: 5 });
  assert.equal(t.truncatedCount, 1);
  assert.deepEqual(t.inputIds[0], [id('[CLS]'), id('the'), id('cat'), id('sat'), id('[SEP]')]);
  assert.deepEqual(t.attentionMask[1], [1, 1, 1, 1, 0]);

  // Pairs: longest-first truncation, type ids, padding.
  const p = tok.encodeBatch(['the cat sat on the mat', 'hello'], { pairs: ['a dog', 'world'], maxLength: 8 });
  assert.equal(p.truncatedCount, 1);
  assert.deepEqual(p.inputIds[0], [id('[CLS]'), id('the'), id('cat'), id('sat'), id('[SEP]'), id('a'), id('dog'), id('[SEP]')]);
  assert.deepEqual(p.tokenTypeIds[0], [0, 0, 0, 0, 0, 1, 1, 1]);
  assert.deepEqual(p.inputIds[1], [id('[CLS]'), id('hello'), id('[SEP]'), id('world'), id('[SEP]'), 0, 0, 0]);
  assert.deepEqual(p.tokenTypeIds[1], [0, 0, 0, 1, 1, 0, 0, 0]);
  assert.deepEqual(p.attentionMask[1], [1, 1, 1, 1, 1, 0, 0, 0]);
  // Default maxLength = model_max_length (32).
  const long = tok.encodeBatch([Array(40).fill('cat').join(' ')]);
  assert.equal(long.inputIds[0]!.length, 32);
  assert.equal(long.inputIds[0]![31], id('[SEP]'));
  assert.throws(() => tok.encodeBatch([Array(40).fill('cat').join(' ')], { truncation: false }), /more than maxLength 32/);
  assert.throws(() => tok.encodeBatch(['a'], { pairs: [] }), /1 texts but 0 pairs/);
});

test('byte-level BPE (GPT-2-style): merges, eos, pairs without template, padding with eos, round trip', async () => {
  const dir = await tmp();
  const vocab = await writeBpeTokenizer(dir, { chatTemplate: '{% for m in messages %}{{ m.content }}{% endfor %}' });
  const tok = await Tokenizer.fromFolder(dir);
  const id = (t: string): number => vocab.get(t)!;
  assert.equal(tok.eosId, id(BPE_EOS));
  assert.equal(tok.bosId, id(BPE_EOS));
  assert.equal(tok.padId, undefined);
  assert.equal(tok.clsId, undefined);
  assert.equal(tok.chatTemplate, '{% for m in messages %}{{ m.content }}{% endfor %}');
  assert.equal(tok.vocabSize, vocab.size);
  const ids = tok.encode('hello world the cat');
  assert.deepEqual(ids, [id('hello'), id('Ġworld'), id('Ġthe'), id('Ġcat')]);
  assert.equal(tok.decode(ids), 'hello world the cat');
  // Arbitrary bytes round-trip through byte-level BPE.
  const text = 'Ünïcødé ✓ 123\n\ttabs';
  assert.equal(tok.decode(tok.encode(text)), text);
  // Special token in text is kept whole.
  const withEos = tok.encode(`the cat${BPE_EOS}`);
  assert.equal(withEos[withEos.length - 1], id(BPE_EOS));
  assert.equal(tok.decode(withEos, { skipSpecialTokens: true }), 'the cat');
  // Pair: ByteLevel post-processor adds nothing; the pair is appended with type id 1.
  assert.deepEqual(tok.encodeWithTypes('hello', ' cat'), { ids: [id('hello'), id('Ġcat')], typeIds: [0, 1] });
  const b = tok.encodeBatch(['hello world', 'hello'], { maxLength: 10 });
  assert.deepEqual(b.inputIds[1], [id('hello'), id(BPE_EOS)]);
  assert.deepEqual(b.attentionMask[1], [1, 0]);
  const t = tok.encodeBatch(['hello world the cat'], { maxLength: 3 });
  assert.deepEqual(t.inputIds[0], [id('hello'), id('Ġworld'), id('Ġthe')]);
  assert.equal(t.truncatedCount, 1);
});

test('missing or broken tokenizer.json is reported with the file name', async () => {
  const dir = await tmp();
  await assert.rejects(Tokenizer.fromFolder(dir), (e: Error) => e.message.includes(path.join(dir, 'tokenizer.json')));
  await fsp.writeFile(path.join(dir, 'tokenizer.json'), '{nope');
  await assert.rejects(Tokenizer.fromFolder(dir), /tokenizer\.json: bad JSON/);
});
