// TEST FIXTURE — not a model of tuneshot. A tiny log-linear language model with real, normalized
// probabilities, used only for protocol tests (ICL, cache, server) until the builtin engine
// backend exists: next-token log-score = log bigram(w | previous token) (add-α smoothed over a fixed
// vocabulary + one UNK bucket) + β · (number of the token's cue words among the last `window`
// tokens), softmax-normalized over the vocabulary. Tokens are whitespace-prefixed words.

import type { ContinuationScore, GenerateOptions, Generation, LanguageModel } from '../../src/icl/language-model.js';
import { mulberry32 } from '../../src/data/random.js';

export interface FixtureOptions {
  corpus: string;
  /** token (with its leading space, e.g. " positive") → cue words (bare, lower-case) that raise it. */
  cues?: Record<string, string[]>;
  beta?: number;
  alpha?: number;
  window?: number;
  contextLength?: number;
  id?: string;
  chatTemplate?: string;
  /** Artificial latency per call (ms), to let concurrent requests pile up. */
  delayMs?: number;
}

const UNK = '<unk>';

export function splitTokens(text: string): string[] {
  return text.match(/\s*\S+|\s+/g) ?? [];
}

export class FixtureLM implements LanguageModel {
  readonly id: string;
  readonly contextLength: number;
  readonly chatTemplate?: string;
  readonly calls = { tokenize: 0, scoreContinuations: 0, generate: 0, embed: 0, detokenize: 0 };
  private readonly vocab: string[];
  private readonly vocabIndex = new Map<string, number>();
  private readonly idOf = new Map<string, number>();
  private readonly strOf: string[] = [];
  private readonly bigram = new Map<string, Map<string, number>>();
  private readonly unigram = new Map<string, number>();
  private readonly cueIndex = new Map<string, string[]>();
  private readonly o: Required<Omit<FixtureOptions, 'chatTemplate' | 'id' | 'cues'>>;

  constructor(options: FixtureOptions) {
    this.id = options.id ?? 'fixture:ngram';
    this.contextLength = options.contextLength ?? 2048;
    if (options.chatTemplate !== undefined) this.chatTemplate = options.chatTemplate;
    this.o = {
      corpus: options.corpus,
      beta: options.beta ?? 1.5,
      alpha: options.alpha ?? 0.1,
      window: options.window ?? 8,
      contextLength: this.contextLength,
      delayMs: options.delayMs ?? 0,
    };
    const toks = splitTokens(options.corpus);
    const set = new Set<string>(toks);
    for (const t of Object.keys(options.cues ?? {})) set.add(t);
    this.vocab = [...set].sort();
    this.vocab.push(UNK);
    this.vocab.forEach((t, i) => this.vocabIndex.set(t, i));
    let prev = '<s>';
    for (const t of toks) {
      if (!this.bigram.has(prev)) this.bigram.set(prev, new Map());
      const m = this.bigram.get(prev)!;
      m.set(t, (m.get(t) ?? 0) + 1);
      this.unigram.set(prev, (this.unigram.get(prev) ?? 0) + 1);
      prev = t;
    }
    for (const [tok, words] of Object.entries(options.cues ?? {})) this.cueIndex.set(tok, words);
  }

  private async pause(): Promise<void> {
    if (this.o.delayMs > 0) await new Promise((r) => setTimeout(r, this.o.delayMs));
  }

  private id4(s: string): number {
    let id = this.idOf.get(s);
    if (id === undefined) {
      id = this.strOf.length;
      this.idOf.set(s, id);
      this.strOf.push(s);
    }
    return id;
  }

  async tokenize(text: string): Promise<number[]> {
    this.calls.tokenize++;
    return splitTokens(text).map((t) => this.id4(t));
  }

  async detokenize(tokens: number[]): Promise<string> {
    this.calls.detokenize++;
    return tokens.map((t) => this.strOf[t] ?? '').join('');
  }

  /** Log-probabilities over the vocabulary for the next token after `history` (token strings). */
  private nextLogProbs(history: readonly string[]): Float64Array {
    const prev = history.length > 0 ? history[history.length - 1]! : '<s>';
    const counts = this.bigram.get(prev);
    const total = this.unigram.get(prev) ?? 0;
    const V = this.vocab.length;
    const recent = new Set(history.slice(-this.o.window).map((t) => t.trim().toLowerCase().replace(/[^\p{L}\p{N}]/gu, '')));
    const scores = new Float64Array(V);
    let max = -Infinity;
    for (let i = 0; i < V; i++) {
      const tok = this.vocab[i]!;
      let s = Math.log(((counts?.get(tok) ?? 0) + this.o.alpha) / (total + this.o.alpha * V));
      const cues = this.cueIndex.get(tok);
      if (cues) for (const c of cues) if (recent.has(c)) s += this.o.beta;
      scores[i] = s;
      if (s > max) max = s;
    }
    let z = 0;
    for (let i = 0; i < V; i++) z += Math.exp(scores[i]! - max);
    const logZ = max + Math.log(z);
    for (let i = 0; i < V; i++) scores[i] = scores[i]! - logZ;
    return scores;
  }

  private logProbOf(history: readonly string[], tok: string): number {
    const i = this.vocabIndex.get(tok) ?? this.vocabIndex.get(UNK)!;
    return this.nextLogProbs(history)[i]!;
  }

  async scoreContinuations(prompt: string, continuations: string[]): Promise<ContinuationScore[]> {
    this.calls.scoreContinuations++;
    await this.pause();
    const head = splitTokens(prompt);
    return continuations.map((c) => {
      const full = splitTokens(prompt + c);
      let split = 0;
      while (split < head.length && head[split] === full[split]) split++;
      const out: number[] = [];
      for (let i = split; i < full.length; i++) out.push(this.logProbOf(full.slice(0, i), full[i]!));
      return { tokenLogprobs: out };
    });
  }

  async generate(prompt: string, options: GenerateOptions): Promise<Generation> {
    this.calls.generate++;
    await this.pause();
    const history = splitTokens(prompt);
    const rng = mulberry32(options.seed ?? 0);
    let text = '';
    let tokens = 0;
    while (tokens < options.maxTokens) {
      const lp = this.nextLogProbs(history);
      let pick = 0;
      const temp = options.temperature ?? 0;
      if (temp === 0) {
        for (let i = 1; i < lp.length - 1; i++) if (lp[i]! > lp[pick]!) pick = i;
      } else {
        let r = rng();
        const ps = Array.from(lp.slice(0, -1), (v) => Math.exp(v / temp));
        const z = ps.reduce((a, b) => a + b, 0);
        for (pick = 0; pick < ps.length - 1; pick++) {
          r -= ps[pick]! / z;
          if (r <= 0) break;
        }
      }
      const tok = this.vocab[pick]!;
      history.push(tok);
      text += tok;
      tokens++;
      for (const s of options.stop ?? []) {
        const at = s.length > 0 ? text.indexOf(s) : -1;
        if (at >= 0) return { text: text.slice(0, at), tokens, finishReason: 'stop' };
      }
    }
    return { text, tokens, finishReason: 'length' };
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    this.calls.embed++;
    return texts.map((t) => {
      const v = new Float32Array(64);
      for (const w of t.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
        if (!w) continue;
        let h = 2166136261;
        for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 16777619) >>> 0;
        v[h % 64]! += 1;
      }
      return v;
    });
  }
}

/** A small sentiment corpus whose "Label:" is followed by " positive" 4× as often as " negative". */
export function sentimentFixture(options: Partial<FixtureOptions> = {}): FixtureLM {
  const lines: string[] = [];
  const pos = ['great', 'good', 'lovely', 'excellent'];
  const neg = ['awful', 'bad', 'terrible', 'boring'];
  for (let i = 0; i < 8; i++) lines.push(`Input: the film was ${pos[i % 4]}\nLabel: positive\n`);
  for (let i = 0; i < 2; i++) lines.push(`Input: the film was ${neg[i % 4]}\nLabel: negative\n`);
  return new FixtureLM({
    corpus: lines.join('\n'),
    cues: { ' positive': pos, ' negative': neg },
    beta: 1.2,
    ...options,
  });
}
