// TF-IDF features as scikit-learn's TfidfVectorizer computes them (the reference the bench checks
// against): lower-cased words of two or more letters, digits or underscores, word n-grams,
// sublinear term frequency (1 + ln tf), smoothed idf (ln((1 + n) / (1 + df)) + 1), rows scaled to
// unit L2 norm. Terms not seen in training are dropped at transform time.

import { fromRowMaps, type SparseRows } from './sparse.js';

export interface TfidfOptions {
  /** Smallest and largest word n-gram (default [1, 2]). */
  ngramRange?: [number, number];
  /** 1 + ln(tf) instead of tf (default true). */
  sublinearTf?: boolean;
  /** Drop terms seen in fewer training documents (default 1: keep all). */
  minDf?: number;
}

// scikit-learn's default token_pattern, (?u)\b\w\w+\b: runs of two or more word characters.
const TOKEN = /[\p{L}\p{N}_]{2,}/gu;

export class TfidfVectorizer {
  private constructor(
    /** Term → column. Columns follow the sorted order of the terms (as scikit-learn's). */
    readonly vocabulary: ReadonlyMap<string, number>,
    readonly idf: Float64Array,
    readonly options: Required<TfidfOptions>,
  ) {}

  static fit(texts: readonly string[], options: TfidfOptions = {}): TfidfVectorizer {
    const o: Required<TfidfOptions> = { ngramRange: options.ngramRange ?? [1, 2], sublinearTf: options.sublinearTf ?? true, minDf: options.minDf ?? 1 };
    const [lo, hi] = o.ngramRange;
    if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 1 && hi >= lo)) throw new RangeError(`ngramRange must be two integers 1 <= lo <= hi, got [${lo}, ${hi}]`);
    if (!(Number.isInteger(o.minDf) && o.minDf >= 1)) throw new RangeError(`minDf must be a positive integer, got ${o.minDf}`);
    const df = new Map<string, number>();
    for (const t of texts) for (const term of new Set(analyze(t, o.ngramRange))) df.set(term, (df.get(term) ?? 0) + 1);
    const terms = [...df.entries()].filter(([, n]) => n >= o.minDf).map(([t]) => t).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const vocabulary = new Map(terms.map((t, i) => [t, i]));
    const n = texts.length;
    const idf = new Float64Array(terms.length);
    terms.forEach((t, i) => (idf[i] = Math.log((1 + n) / (1 + df.get(t)!)) + 1));
    return new TfidfVectorizer(vocabulary, idf, o);
  }

  get features(): number {
    return this.idf.length;
  }

  /** Number of words (tokens) in a text. */
  words(text: string): number {
    return tokenize(text).length;
  }

  /** The terms of a text (n-grams of its tokens), with repeats. */
  analyze(text: string): string[] {
    return analyze(text, this.options.ngramRange);
  }

  transform(texts: readonly string[]): SparseRows {
    const rows = texts.map((t) => {
      const tf = new Map<number, number>();
      for (const term of this.analyze(t)) {
        const c = this.vocabulary.get(term);
        if (c !== undefined) tf.set(c, (tf.get(c) ?? 0) + 1);
      }
      let norm = 0;
      for (const [c, n] of tf) {
        const w = (this.options.sublinearTf ? 1 + Math.log(n) : n) * this.idf[c]!;
        tf.set(c, w);
        norm += w * w;
      }
      norm = Math.sqrt(norm);
      if (norm > 0) for (const [c, w] of tf) tf.set(c, w / norm);
      return tf;
    });
    return fromRowMaps(rows, this.features);
  }
}

export function tokenize(text: string): string[] {
  return text.toLowerCase().match(TOKEN) ?? [];
}

function analyze(text: string, [lo, hi]: [number, number]): string[] {
  const tokens = tokenize(text);
  const out: string[] = [];
  for (let n = lo; n <= hi; n++) {
    for (let i = 0; i + n <= tokens.length; i++) out.push(n === 1 ? tokens[i]! : tokens.slice(i, i + n).join(' '));
  }
  return out;
}
