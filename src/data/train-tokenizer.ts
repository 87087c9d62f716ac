// Tokenizer training with the Hugging Face `tokenizers` library (Rust), through the
// @anush008/tokenizers Node binding.
//
// The binding's `Tokenizer.train(files)` always uses the model's *default* trainer
// (BpeTrainer / WordPieceTrainer defaults: vocab_size 30000, min_frequency 0, no special
// tokens, no initial alphabet) and exposes no trainer configuration. So we:
//   1. build the pipeline (normalizer, pre-tokenizer, post-processor, decoder) with the binding,
//   2. train with the library's default trainer,
//   3. reshape the learned model in tokenizer.json: special tokens first, the full 256-symbol
//      byte alphabet for byte-level BPE, then learned tokens in the order the trainer learned
//      them, cut to `vocabSize` (stopping BPE after the first N merges is exactly what a trainer
//      with that vocab_size does; for WordPiece it keeps the earliest-learned pieces),
//   4. reload the result with the library (`Tokenizer.fromString`) to validate it and save it
//      from there, so the file on disk is written by the library itself.
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { makeDirs, writeFileAtomicSync } from '../io/atomic.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
type Hf = typeof import('@anush008/tokenizers');
let hfCache: Hf | undefined;
function hf(): Hf {
  // The binding is CommonJS with a native addon; load it lazily so importing src/data is cheap.
  return (hfCache ??= require('@anush008/tokenizers') as Hf);
}

export type TokenizerKind = 'wordpiece' | 'bpe';

export interface TrainTokenizerOptions {
  kind: TokenizerKind;
  /** UTF-8 text files to learn from. */
  files: string[];
  /** Final vocabulary size, special tokens included. */
  vocabSize: number;
  /** Folder that receives tokenizer.json, tokenizer_config.json and special_tokens_map.json. */
  outDir: string;
  /**
   * Minimum pair frequency. NOT supported by the @anush008/tokenizers binding (its trainer is not
   * configurable); accepted for API stability, ignored with a warning when > 0.
   */
  minFrequency?: number;
  /** model_max_length written to tokenizer_config.json (default 512 for wordpiece, 1024 for bpe). */
  modelMaxLength?: number;
}

export interface TrainedTokenizer {
  /** Path of the written tokenizer.json. */
  path: string;
  /** Actual vocabulary size (may be below vocabSize when the data supports fewer tokens). */
  vocabSize: number;
  specialTokens: Record<string, string>;
}

export const BERT_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
export const GPT2_EOS = '<|endoftext|>';

/** GPT-2's bytes_to_unicode table: byte value → printable character. */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  const table = new Array<string>(256);
  bs.forEach((b, i) => (table[b] = String.fromCodePoint(cs[i]!)));
  return table;
}

interface TokenizerJson {
  added_tokens: Array<Record<string, unknown>>;
  post_processor: unknown;
  decoder: unknown;
  model: {
    type: string;
    vocab: Record<string, number>;
    merges?: Array<[string, string] | string>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

function addedToken(id: number, content: string): Record<string, unknown> {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

function vocabInIdOrder(vocab: Record<string, number>): string[] {
  return Object.entries(vocab)
    .sort((a, b) => a[1] - b[1])
    .map(([t]) => t);
}

function reshapeWordPiece(json: TokenizerJson, vocabSize: number): number {
  const learned = vocabInIdOrder(json.model.vocab).filter((t) => !(BERT_SPECIALS as readonly string[]).includes(t));
  const keep = vocabSize - BERT_SPECIALS.length;
  const alphabet = learned.filter((t) => [...t.replace(/^##/, '')].length === 1).length;
  if (keep < alphabet) {
    throw new RangeError(`vocabSize ${vocabSize} is smaller than the ${alphabet} single characters (+${BERT_SPECIALS.length} specials) of the training data`);
  }
  const tokens = [...BERT_SPECIALS, ...learned.slice(0, keep)];
  json.model.vocab = Object.fromEntries(tokens.map((t, i) => [t, i]));
  json.model.unk_token = '[UNK]';
  json.added_tokens = BERT_SPECIALS.map((t, i) => addedToken(i, t));
  return tokens.length;
}

function reshapeBpe(json: TokenizerJson, vocabSize: number): number {
  const byteChars = bytesToUnicode();
  const base = [GPT2_EOS, ...byteChars];
  if (vocabSize < base.length) throw new RangeError(`vocabSize ${vocabSize} must be at least ${base.length} (byte alphabet + ${GPT2_EOS})`);
  const vocab = new Map<string, number>(base.map((t, i) => [t, i]));
  const merges: Array<[string, string]> = [];
  for (const m of json.model.merges ?? []) {
    if (vocab.size >= vocabSize) break;
    const [a, b] = typeof m === 'string' ? (m.split(' ') as [string, string]) : m;
    if (!vocab.has(a) || !vocab.has(b)) continue; // cannot happen with a consistent trainer output
    const merged = a + b;
    merges.push([a, b]);
    if (!vocab.has(merged)) vocab.set(merged, vocab.size);
  }
  json.model.vocab = Object.fromEntries(vocab);
  json.model.merges = merges;
  json.model.unk_token = null;
  json.added_tokens = [addedToken(0, GPT2_EOS)];
  // The binding exports no ByteLevel decoder constructor; write the standard one.
  json.decoder = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true };
  return vocab.size;
}

/**
 * Train a WordPiece (BERT-style) or byte-level BPE (GPT-2-style) tokenizer with the
 * Hugging Face tokenizers library and write a Hugging Face tokenizer folder.
 */
export function trainTokenizer(options: TrainTokenizerOptions): TrainedTokenizer {
  const { kind, files, vocabSize, outDir, minFrequency = 0 } = options;
  if (kind !== 'wordpiece' && kind !== 'bpe') throw new TypeError(`unknown tokenizer kind ${JSON.stringify(kind)}`);
  if (!Number.isInteger(vocabSize) || vocabSize <= 0) throw new RangeError(`vocabSize must be a positive integer, got ${vocabSize}`);
  if (files.length === 0) throw new TypeError('trainTokenizer: no training files');
  for (const f of files) if (!existsSync(f)) throw new Error(`trainTokenizer: training file not found: ${f}`);
  if (minFrequency > 1) {
    process.emitWarning('trainTokenizer: minFrequency is not supported by the @anush008/tokenizers trainer binding and is ignored');
  }
  const lib = hf();
  let tok: InstanceType<Hf['Tokenizer']>;
  if (kind === 'wordpiece') {
    tok = new lib.Tokenizer(lib.WordPiece.empty() as unknown as InstanceType<Hf['Model']>);
    tok.setNormalizer(lib.bertNormalizer({ cleanText: true, handleChineseChars: true, lowercase: true }));
    tok.setPreTokenizer(lib.bertPreTokenizer());
    tok.setPostProcessor(
      lib.templateProcessing('[CLS] $A [SEP]', '[CLS] $A [SEP] $B:1 [SEP]:1', [
        ['[CLS]', 2],
        ['[SEP]', 3],
      ]),
    );
    tok.setDecoder(lib.wordPieceDecoder('##', true));
  } else {
    tok = new lib.Tokenizer(lib.BPE.empty());
    tok.setPreTokenizer(lib.byteLevelPreTokenizer(false, true));
    tok.setPostProcessor(lib.byteLevelProcessing(false));
  }
  tok.train(files);

  const tmp = mkdtempSync(join(tmpdir(), 'tuneshot-tok-'));
  let finalSize: number;
  let validated: InstanceType<Hf['Tokenizer']>;
  try {
    const rawPath = join(tmp, 'raw.json');
    tok.save(rawPath, false);
    const json = JSON.parse(readFileSync(rawPath, 'utf8')) as TokenizerJson;
    finalSize = kind === 'wordpiece' ? reshapeWordPiece(json, vocabSize) : reshapeBpe(json, vocabSize);
    validated = lib.Tokenizer.fromString(JSON.stringify(json));
    // The binding writes files only by path: save beside the raw one, then move it in atomically.
    validated.save(join(tmp, 'tokenizer.json'), true);
    makeDirs(outDir);
    writeFileAtomicSync(join(outDir, 'tokenizer.json'), readFileSync(join(tmp, 'tokenizer.json')));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const path = join(outDir, 'tokenizer.json');

  let specialTokens: Record<string, string>;
  let config: Record<string, unknown>;
  if (kind === 'wordpiece') {
    specialTokens = { unk_token: '[UNK]', sep_token: '[SEP]', pad_token: '[PAD]', cls_token: '[CLS]', mask_token: '[MASK]' };
    config = {
      tokenizer_class: 'BertTokenizer',
      do_lower_case: true,
      tokenize_chinese_chars: true,
      strip_accents: null,
      clean_up_tokenization_spaces: true,
      model_max_length: options.modelMaxLength ?? 512,
      ...specialTokens,
    };
  } else {
    specialTokens = { bos_token: GPT2_EOS, eos_token: GPT2_EOS, unk_token: GPT2_EOS, pad_token: GPT2_EOS };
    config = {
      tokenizer_class: 'GPT2Tokenizer',
      add_prefix_space: false,
      add_bos_token: false,
      clean_up_tokenization_spaces: false,
      model_max_length: options.modelMaxLength ?? 1024,
      ...specialTokens,
    };
  }
  const addedTokensDecoder = Object.fromEntries(
    (kind === 'wordpiece' ? [...BERT_SPECIALS] : [GPT2_EOS]).map((t, i) => [String(i), { content: t, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true }]),
  );
  writeFileAtomicSync(join(outDir, 'tokenizer_config.json'), JSON.stringify({ ...config, added_tokens_decoder: addedTokensDecoder }, null, 2) + '\n');
  writeFileAtomicSync(join(outDir, 'special_tokens_map.json'), JSON.stringify(specialTokens, null, 2) + '\n');
  return { path, vocabSize: finalSize, specialTokens };
}
