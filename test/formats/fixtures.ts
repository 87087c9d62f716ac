/**
 * Hand-made tokenizer folders for tests: a BERT-style WordPiece tokenizer and a GPT-2-style
 * byte-level BPE tokenizer, small vocabularies, written as tokenizer.json + tokenizer_config.json.
 * (Not a test file itself; other test files may import it.)
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

const WORDS = [
  'the', 'a', 'cat', 'dog', 'sat', 'on', 'mat', 'hello', 'world', 'good', 'bad', 'movie', 'is', 'was', 'not',
  'play', 'run', 'great', 'film', 'this', 'it', 'and', 'i', 'love', 'hate',
];
const SUFFIXES = ['##ing', '##s', '##ed', '##ning', '##ly'];
const PUNCT = ['.', ',', '!', '?', "'"];
const LETTERS = 'abcdefghijklmnopqrstuvwxyz'.split('');

export const BERT_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

/** Write a BERT-style WordPiece tokenizer folder; returns the vocab (token -> id). */
export async function writeBertTokenizer(dir: string): Promise<Map<string, number>> {
  await fsp.mkdir(dir, { recursive: true });
  const tokens = [...new Set([...BERT_SPECIALS, ...WORDS, ...SUFFIXES, ...PUNCT, ...LETTERS.filter((l) => !WORDS.includes(l)), ...LETTERS.map((l) => `##${l}`)])];
  const vocab = new Map(tokens.map((t, i) => [t, i]));
  const sp = (t: string, type = 0): unknown => ({ SpecialToken: { id: t, type_id: type } });
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: BERT_SPECIALS.map((t, i) => ({ id: i, content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [sp('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, sp('[SEP]')],
      pair: [sp('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, sp('[SEP]'), { Sequence: { id: 'B', type_id: 1 } }, sp('[SEP]', 1)],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [vocab.get('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [vocab.get('[SEP]')], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(vocab) },
  };
  const config = {
    do_lower_case: true, model_max_length: 32, tokenizer_class: 'BertTokenizer',
    cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', mask_token: '[MASK]', unk_token: '[UNK]',
  };
  await fsp.writeFile(path.join(dir, 'tokenizer.json'), JSON.stringify(json));
  await fsp.writeFile(path.join(dir, 'tokenizer_config.json'), JSON.stringify(config));
  await fsp.writeFile(path.join(dir, 'special_tokens_map.json'), JSON.stringify({ cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', mask_token: '[MASK]', unk_token: '[UNK]' }));
  await fsp.writeFile(path.join(dir, 'vocab.txt'), tokens.join('\n') + '\n');
  return vocab;
}

/** GPT-2's reversible byte -> printable unicode character mapping (one implementation, in src/data). */
export { bytesToUnicode } from '../../src/data/train-tokenizer.js';
import { bytesToUnicode } from '../../src/data/train-tokenizer.js';

// Merges applied in order; each result becomes a vocabulary entry. "Ġ" is the byte-level space.
const BPE_MERGES: Array<[string, string]> = [
  ['Ġ', 't'], ['h', 'e'], ['Ġt', 'he'], ['Ġ', 'c'], ['a', 't'], ['Ġc', 'at'], ['Ġ', 's'], ['Ġs', 'at'],
  ['o', 'n'], ['Ġ', 'on'], ['Ġ', 'm'], ['Ġm', 'at'], ['l', 'l'], ['he', 'll'], ['hell', 'o'], ['Ġ', 'w'],
  ['o', 'r'], ['Ġw', 'or'], ['Ġwor', 'l'], ['Ġworl', 'd'], ['i', 'n'], ['in', 'g'], ['Ġ', 'd'], ['o', 'g'], ['Ġd', 'og'],
];

export const BPE_EOS = '<|endoftext|>';

/** Write a GPT-2-style byte-level BPE tokenizer folder; returns the vocab (token -> id). */
export async function writeBpeTokenizer(dir: string, opts: { chatTemplate?: string } = {}): Promise<Map<string, number>> {
  await fsp.mkdir(dir, { recursive: true });
  const vocab = new Map<string, number>();
  for (const ch of bytesToUnicode()) vocab.set(ch, vocab.size);
  for (const [a, b] of BPE_MERGES) {
    if (!vocab.has(a) || !vocab.has(b)) throw new Error(`fixture merge ${a} ${b} uses unknown parts`);
    if (!vocab.has(a + b)) vocab.set(a + b, vocab.size);
  }
  const eosId = vocab.size;
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: eosId, content: BPE_EOS, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
      fuse_unk: false, byte_fallback: false, vocab: Object.fromEntries(vocab), merges: BPE_MERGES.map(([a, b]) => `${a} ${b}`),
    },
  };
  vocab.set(BPE_EOS, eosId);
  const config: Record<string, unknown> = {
    model_max_length: 64, tokenizer_class: 'GPT2Tokenizer', add_bos_token: false,
    bos_token: BPE_EOS, eos_token: BPE_EOS, unk_token: BPE_EOS,
  };
  if (opts.chatTemplate) config.chat_template = opts.chatTemplate;
  await fsp.writeFile(path.join(dir, 'tokenizer.json'), JSON.stringify(json));
  await fsp.writeFile(path.join(dir, 'tokenizer_config.json'), JSON.stringify(config));
  return vocab;
}
