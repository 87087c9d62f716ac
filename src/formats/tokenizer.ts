/**
 * Tokenizer: a thin wrapper over Hugging Face's `@huggingface/tokenizers` (tokenizer.json).
 *
 * The package does normalization, pre-tokenization, the model (BPE/WordPiece/Unigram),
 * post-processing (special-token templates) and decoding. It does not truncate or pad, and
 * its ByteLevel post-processor returns the pair separately; so `encodeBatch` does, in order:
 *   1. tokenize each text (and pair) without special tokens, through the package;
 *   2. truncate the token lists "longest first" so that, once the package's post-processor
 *      adds its special tokens, the result fits `maxLength` (the number of added specials is
 *      measured by running the post-processor on empty inputs);
 *   3. run the package's post-processor on the truncated lists to add the special tokens and
 *      get token type ids, and map tokens to ids;
 *   4. pad on the right with `padId` (or eos, or 0) to the longest row or to `maxLength`.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Tokenizer as HFTokenizer } from '@huggingface/tokenizers';

export interface EncodeOptions {
  addSpecialTokens?: boolean;
}

export interface EncodeBatchOptions {
  /** Second segment for each text (sentence-pair tasks). */
  pairs?: ReadonlyArray<string | null | undefined>;
  /** Maximum row length including special tokens (default: modelMaxLength, else 512). */
  maxLength?: number;
  /** 'longest' (default) pads to the longest row; 'max_length' pads every row to maxLength. */
  padding?: 'longest' | 'max_length';
  /** Truncate rows longer than maxLength (default true). If false, long rows raise an error. */
  truncation?: boolean;
  addSpecialTokens?: boolean;
}

export interface BatchEncoding {
  inputIds: number[][];
  attentionMask: number[][];
  tokenTypeIds: number[][];
  /** Number of rows that were truncated. */
  truncatedCount: number;
}

export interface DecodeOptions {
  skipSpecialTokens?: boolean;
}

interface PostProcessed {
  tokens: string[];
  tokens_pair?: string[] | null;
  token_type_ids?: number[];
}

type PostProcessorFn = (a: string[], b: string[] | null, addSpecial: boolean) => PostProcessed;

/** A JSON object file; a missing file is undefined unless `required`. Errors name the file. */
export async function readJson(file: string, required: boolean): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf-8');
  } catch (e) {
    if (!required) return undefined;
    throw new Error(`${file}: cannot read tokenizer file: ${(e as Error).message}`);
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file}: bad JSON: ${(e as Error).message}`);
  }
}

/** A special token's text, written either as a string or as {content: ...}. */
export function tokenContent(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

export class Tokenizer {
  readonly padId: number | undefined;
  readonly clsId: number | undefined;
  readonly sepId: number | undefined;
  readonly maskId: number | undefined;
  readonly bosId: number | undefined;
  readonly eosId: number | undefined;
  readonly unkId: number | undefined;
  /** model_max_length from tokenizer_config.json (undefined when absent or the "very large" sentinel). */
  readonly modelMaxLength: number | undefined;
  /** Chat template (Jinja) from tokenizer_config.json, if any. */
  readonly chatTemplate: string | undefined;
  readonly vocabSize: number;
  /** The raw tokenizer.json and tokenizer_config.json contents. */
  readonly json: Record<string, unknown>;
  readonly config: Record<string, unknown>;

  private readonly nSpecialSingle: number;
  private readonly nSpecialPair: number;
  private readonly specialIds: Set<number>;

  constructor(readonly hf: HFTokenizer, json: Record<string, unknown>, config: Record<string, unknown>) {
    this.json = json;
    this.config = config;
    const vocab = hf.get_vocab(true);
    let maxId = -1;
    for (const id of vocab.values()) if (id > maxId) maxId = id;
    this.vocabSize = maxId + 1;
    const find = (key: string, fallbacks: string[]): number | undefined => {
      const c = tokenContent(config[key]);
      if (c !== undefined) {
        const id = hf.token_to_id(c);
        if (id !== undefined) return id;
      }
      for (const f of fallbacks) {
        const id = hf.token_to_id(f);
        if (id !== undefined) return id;
      }
      return undefined;
    };
    this.padId = find('pad_token', ['[PAD]', '<pad>']);
    this.clsId = find('cls_token', ['[CLS]', '<cls>']);
    this.sepId = find('sep_token', ['[SEP]', '<sep>']);
    this.maskId = find('mask_token', ['[MASK]', '<mask>']);
    this.bosId = find('bos_token', ['<s>', '<|begin_of_text|>']);
    this.eosId = find('eos_token', ['</s>', '<|end_of_text|>', '<|endoftext|>']);
    const model = json.model as { unk_token?: unknown } | undefined;
    this.unkId = find('unk_token', [typeof model?.unk_token === 'string' ? model.unk_token : '[UNK]', '[UNK]', '<unk>']);
    const mml = config.model_max_length;
    this.modelMaxLength = typeof mml === 'number' && mml > 0 && mml < 1e9 ? mml : undefined;
    const ct = config.chat_template;
    if (typeof ct === 'string') this.chatTemplate = ct;
    else if (Array.isArray(ct)) {
      const def = (ct as Array<{ name?: string; template?: string }>).find((t) => t.name === 'default');
      this.chatTemplate = def?.template;
    }
    this.specialIds = new Set<number>();
    for (const [id, tok] of hf.get_added_tokens_decoder()) if (tok.special) this.specialIds.add(id);
    this.nSpecialSingle = this.postProcess([], null, true).ids.length;
    this.nSpecialPair = this.postProcess([], [], true).ids.length;
  }

  /** Load tokenizer.json (+ tokenizer_config.json and special_tokens_map.json when present). */
  static async fromFolder(dir: string): Promise<Tokenizer> {
    const json = (await readJson(path.join(dir, 'tokenizer.json'), true))!;
    const config = (await readJson(path.join(dir, 'tokenizer_config.json'), false)) ?? {};
    const stm = (await readJson(path.join(dir, 'special_tokens_map.json'), false)) ?? {};
    const merged: Record<string, unknown> = { ...stm, ...config };
    return Tokenizer.fromJson(json, merged, path.join(dir, 'tokenizer.json'));
  }

  /** Build from parsed tokenizer.json and tokenizer_config.json objects. */
  static fromJson(json: Record<string, unknown>, config: Record<string, unknown> = {}, source = 'tokenizer.json'): Tokenizer {
    const full: Record<string, unknown> = { normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, added_tokens: [], ...json };
    let hf: HFTokenizer;
    try {
      hf = new HFTokenizer(full, config);
    } catch (e) {
      throw new Error(`${source}: cannot build tokenizer: ${(e as Error).message}`);
    }
    return new Tokenizer(hf, json, config);
  }

  /** Token strings of a text, without special tokens. */
  tokenize(text: string): string[] {
    return this.hf.tokenize(text, { add_special_tokens: false });
  }

  private toId(tok: string): number {
    const id = this.hf.token_to_id(tok);
    if (id !== undefined) return id;
    if (this.unkId !== undefined) return this.unkId;
    throw new Error(`token ${JSON.stringify(tok)} is not in the vocabulary and there is no unknown token`);
  }

  /** Run the package's post-processor (special tokens + type ids) and map tokens to ids. */
  private postProcess(a: string[], b: string[] | null, addSpecial: boolean): { ids: number[]; typeIds: number[] } {
    const pp = this.hf.post_processor as unknown as PostProcessorFn | null;
    let tokens: string[];
    let types: number[] | undefined;
    if (pp) {
      const r = pp(a, b, addSpecial);
      tokens = r.tokens;
      types = r.token_type_ids;
      if (r.tokens_pair) {
        // e.g. the ByteLevel post-processor hands the pair back unmerged.
        const nA = tokens.length;
        tokens = [...tokens, ...r.tokens_pair];
        types = types ?? [...new Array<number>(nA).fill(0), ...new Array<number>(r.tokens_pair.length).fill(1)];
      }
    } else {
      tokens = b ? [...a, ...b] : [...a];
      types = [...new Array<number>(a.length).fill(0), ...new Array<number>(b?.length ?? 0).fill(1)];
    }
    if (!types || types.length !== tokens.length) types = new Array<number>(tokens.length).fill(0);
    return { ids: tokens.map((t) => this.toId(t)), typeIds: types.map((t) => t ?? 0) };
  }

  /** Encode a text (and optional pair) to ids, with special tokens by default. */
  encode(text: string, pair?: string | null, opts: EncodeOptions = {}): number[] {
    const a = this.tokenize(text);
    const b = pair === undefined || pair === null ? null : this.tokenize(pair);
    return this.postProcess(a, b, opts.addSpecialTokens ?? true).ids;
  }

  /** Encode, also returning token type ids. */
  encodeWithTypes(text: string, pair?: string | null, opts: EncodeOptions = {}): { ids: number[]; typeIds: number[] } {
    const a = this.tokenize(text);
    const b = pair === undefined || pair === null ? null : this.tokenize(pair);
    return this.postProcess(a, b, opts.addSpecialTokens ?? true);
  }

  /** Number of special tokens the post-processor adds to a single text or a pair. */
  numSpecialTokens(pair: boolean): number {
    return pair ? this.nSpecialPair : this.nSpecialSingle;
  }

  encodeBatch(texts: readonly string[], opts: EncodeBatchOptions = {}): BatchEncoding {
    const addSpecial = opts.addSpecialTokens ?? true;
    const maxLength = opts.maxLength ?? this.modelMaxLength ?? 512;
    const padding = opts.padding ?? 'longest';
    const truncation = opts.truncation ?? true;
    if (opts.pairs && opts.pairs.length !== texts.length) throw new Error(`encodeBatch: ${texts.length} texts but ${opts.pairs.length} pairs`);
    const rows: Array<{ ids: number[]; typeIds: number[] }> = [];
    let truncatedCount = 0;
    texts.forEach((text, i) => {
      let a = this.tokenize(text);
      const p = opts.pairs?.[i];
      let b = p === undefined || p === null ? null : this.tokenize(p);
      const nSpecial = addSpecial ? (b ? this.nSpecialPair : this.nSpecialSingle) : 0;
      const budget = maxLength - nSpecial;
      if (a.length + (b?.length ?? 0) > budget) {
        if (!truncation) throw new Error(`encodeBatch: row ${i} has ${a.length + (b?.length ?? 0) + nSpecial} tokens, more than maxLength ${maxLength}`);
        if (budget < 0) throw new Error(`encodeBatch: maxLength ${maxLength} is smaller than the ${nSpecial} special tokens`);
        truncatedCount++;
        if (!b) a = a.slice(0, budget);
        else {
          // longest_first: drop from the longer segment one token at a time.
          let la = a.length;
          let lb = b.length;
          while (la + lb > budget) {
            if (la > lb) la--; else lb--;
          }
          a = a.slice(0, la);
          b = b.slice(0, lb);
        }
      }
      rows.push(this.postProcess(a, b, addSpecial));
    });
    const width = padding === 'max_length' ? maxLength : Math.max(0, ...rows.map((r) => r.ids.length));
    const padId = this.padId ?? this.eosId ?? 0;
    const inputIds: number[][] = [];
    const attentionMask: number[][] = [];
    const tokenTypeIds: number[][] = [];
    for (const r of rows) {
      const n = r.ids.length;
      const pad = Math.max(0, width - n);
      inputIds.push([...r.ids, ...new Array<number>(pad).fill(padId)]);
      attentionMask.push([...new Array<number>(n).fill(1), ...new Array<number>(pad).fill(0)]);
      tokenTypeIds.push([...r.typeIds, ...new Array<number>(pad).fill(0)]);
    }
    return { inputIds, attentionMask, tokenTypeIds, truncatedCount };
  }

  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    if (ids.length === 0) return '';
    const skip = opts.skipSpecialTokens ?? false;
    const kept = skip ? ids.filter((id) => !this.specialIds.has(id)) : [...ids];
    if (kept.length === 0) return '';
    return this.hf.decode(kept, { skip_special_tokens: skip });
  }

  tokenToId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.hf.id_to_token(id);
  }

  /** Whether `id` is a special (control) token. */
  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }
}
