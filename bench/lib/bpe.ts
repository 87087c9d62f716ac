// A GPT-2-style byte-level BPE tokenizer folder with exactly `vocabSize` entries, written for the
// benchmarks: the 256 byte symbols, then merges of printable byte pairs ("ab" from "a" + "b") in
// a fixed order until the vocabulary is full, then <|endoftext|> as the last id.
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

export const BPE_EOS = '<|endoftext|>';

export { bytesToUnicode } from '../../src/data/train-tokenizer.js';
import { bytesToUnicode } from '../../src/data/train-tokenizer.js';

export async function writeBenchBpeTokenizer(dir: string, vocabSize: number): Promise<{ eosId: number }> {
  await mkdir(dir, { recursive: true });
  const bytes = bytesToUnicode();
  const vocab = new Map<string, number>();
  for (const ch of bytes) vocab.set(ch, vocab.size);
  // Pair order: "Ġ" + letter first (word starts), then letter + letter, then other printable pairs.
  const letters = 'etaoinshrdlcumwfgypbvkjxqzETAOINSHRDLCUMWFGYPBVKJXQZ'.split('');
  const printable = bytes.slice(0, 256).filter((c) => c !== undefined);
  const space = bytes[32]!;
  const merges: string[] = [];
  const add = (a: string, b: string) => {
    if (vocab.size >= vocabSize - 1 || vocab.has(a + b)) return;
    vocab.set(a + b, vocab.size);
    merges.push(`${a} ${b}`);
  };
  for (const l of letters) add(space, l);
  for (const a of letters) for (const b of letters) add(a, b);
  for (const a of printable) for (const b of printable) add(a, b);
  const eosId = vocab.size;
  const json = {
    version: '1.0', truncation: null, padding: null,
    added_tokens: [{ id: eosId, content: BPE_EOS, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab: Object.fromEntries(vocab), merges },
  };
  await writeFile(path.join(dir, 'tokenizer.json'), JSON.stringify(json));
  await writeFile(path.join(dir, 'tokenizer_config.json'), JSON.stringify({
    model_max_length: 1024, tokenizer_class: 'GPT2Tokenizer', add_bos_token: false, bos_token: BPE_EOS, eos_token: BPE_EOS, unk_token: BPE_EOS,
  }));
  return { eosId };
}
