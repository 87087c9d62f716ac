import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { trainTokenizer, bytesToUnicode } from '../../src/data/train-tokenizer.js';
import { builtinDataset } from '../../src/data/builtin.js';
import { loadExamples } from '../../src/data/dataset.js';

const dir = mkdtempSync(join(tmpdir(), 'tuneshot-tok-test-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const trainFile = join(dir, 'train.txt');
const { examples } = loadExamples(builtinDataset('spam').train, { task: 'classify' });
writeFileSync(trainFile, examples.slice(0, 300).map((e) => e.text).join('\n'));

function loadJs(outDir: string): Tokenizer {
  return new Tokenizer(JSON.parse(readFileSync(join(outDir, 'tokenizer.json'), 'utf8')), JSON.parse(readFileSync(join(outDir, 'tokenizer_config.json'), 'utf8')));
}

test('bytesToUnicode is the GPT-2 table', () => {
  const t = bytesToUnicode();
  assert.equal(t.length, 256);
  assert.equal(new Set(t).size, 256);
  assert.equal(t[0x41], 'A');
  assert.equal(t[0x20], 'Ġ');
  assert.equal(t[0x0a], 'Ċ');
});

test('wordpiece: BERT-style tokenizer loads in @huggingface/tokenizers', () => {
  const out = join(dir, 'wp');
  const r = trainTokenizer({ kind: 'wordpiece', files: [trainFile], vocabSize: 1500, outDir: out });
  assert.equal(r.vocabSize, 1500);
  const json = JSON.parse(readFileSync(r.path, 'utf8'));
  assert.equal(json.model.type, 'WordPiece');
  assert.equal(json.normalizer.type, 'BertNormalizer');
  assert.equal(json.normalizer.lowercase, true);
  assert.equal(json.pre_tokenizer.type, 'BertPreTokenizer');
  assert.equal(json.post_processor.type, 'TemplateProcessing');
  assert.equal(json.decoder.type, 'WordPiece');
  assert.deepEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((t) => json.model.vocab[t]), [0, 1, 2, 3, 4]);
  assert.equal(Object.keys(json.model.vocab).length, 1500);
  const cfg = JSON.parse(readFileSync(join(out, 'tokenizer_config.json'), 'utf8'));
  assert.equal(cfg.do_lower_case, true);
  assert.equal(JSON.parse(readFileSync(join(out, 'special_tokens_map.json'), 'utf8')).mask_token, '[MASK]');

  const tok = loadJs(out);
  const text = 'Click here to receive your FREE money today, my friend!';
  const enc = tok.encode(text);
  assert.equal(enc.ids[0], 2);
  assert.equal(enc.ids.at(-1), 3);
  assert.ok(!enc.ids.slice(1, -1).includes(1), `no [UNK] in ${enc.tokens.join(' ')}`);
  assert.equal(tok.decode(enc.ids, { skip_special_tokens: true }), text.toLowerCase());
  const pair = tok.encode('first part', { text_pair: 'second', return_token_type_ids: true });
  assert.equal(pair.tokens[0], '[CLS]');
  assert.equal(pair.tokens.filter((t) => t === '[SEP]').length, 2);
  assert.equal(pair.token_type_ids.at(-1), 1);
  assert.equal(pair.token_type_ids[0], 0);
  assert.equal(tok.token_to_id('[MASK]'), 4);
});

test('bpe: GPT-2-style byte-level tokenizer round-trips any text', () => {
  const out = join(dir, 'bpe');
  const r = trainTokenizer({ kind: 'bpe', files: [trainFile], vocabSize: 1000, outDir: out });
  assert.equal(r.vocabSize, 1000);
  const json = JSON.parse(readFileSync(r.path, 'utf8'));
  assert.equal(json.model.type, 'BPE');
  assert.equal(json.pre_tokenizer.type, 'ByteLevel');
  assert.equal(json.decoder.type, 'ByteLevel');
  assert.equal(json.model.vocab['<|endoftext|>'], 0);
  assert.equal(Object.keys(json.model.vocab).length, 1000);
  assert.equal(json.model.merges.length, 1000 - 257);
  const cfg = JSON.parse(readFileSync(join(out, 'tokenizer_config.json'), 'utf8'));
  assert.equal(cfg.eos_token, '<|endoftext|>');
  assert.equal(cfg.pad_token, '<|endoftext|>');

  const tok = loadJs(out);
  for (const text of ['Click here to receive your FREE money today!', '  spaces\tand\nnewlines  ', 'naïve café 😀 日本語 Ωmega']) {
    const enc = tok.encode(text);
    assert.equal(tok.decode(enc.ids), text, `round trip of ${JSON.stringify(text)}`);
  }
  const withEos = tok.encode('hello<|endoftext|>');
  assert.equal(withEos.ids.at(-1), 0, 'special token recognised');
  assert.ok(tok.encode(' the money').ids.length <= 3, 'learned merges are used');
});

test('trainTokenizer validates its options', () => {
  assert.throws(() => trainTokenizer({ kind: 'bpe', files: [trainFile], vocabSize: 100, outDir: join(dir, 'x') }), /at least 257/);
  assert.throws(() => trainTokenizer({ kind: 'bpe', files: [join(dir, 'missing.txt')], vocabSize: 1000, outDir: join(dir, 'x') }), /not found/);
  assert.throws(() => trainTokenizer({ kind: 'wordpiece', files: [trainFile], vocabSize: 10, outDir: join(dir, 'x') }), /smaller than/);
});
