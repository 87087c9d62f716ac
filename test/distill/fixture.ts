// A toy sentiment task for distillation tests and a competent teacher for it: the deterministic
// fixture LM (test/icl/fixture-lm.ts) given every cue word of the task. Texts are short (the
// teacher's cue window is 5 tokens: the query's last words, never the demonstrations'). The unlabelled pool also holds mixed reviews (one positive and
// one negative word), on which the teacher is unsure: what a confidence threshold filters out.
import { mulberry32 } from '../../src/data/random.js';
import type { Example } from '../../src/data/dataset.js';
import { FixtureLM, type FixtureOptions } from '../icl/fixture-lm.js';

export const POSITIVE = ['great', 'good', 'lovely', 'excellent', 'wonderful', 'superb', 'brilliant', 'delightful'];
export const NEGATIVE = ['awful', 'bad', 'terrible', 'boring', 'dreadful', 'dull', 'horrible', 'poor'];
const SUBJECTS = ['film', 'movie', 'show', 'play', 'book', 'story', 'ending', 'cast', 'script', 'album'];
const TEMPLATES = ['the {s} was {w}', 'a {w} {s}', 'i found the {s} {w}', 'what a {w} {s}', 'honestly the {s} felt {w}', 'such a {w} {s} overall'];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

/** `n` clear reviews, half positive, half negative (seeded). */
export function reviews(n: number, seed: number): Example[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    const label = i % 2 === 0 ? 'positive' : 'negative';
    const w = pick(r, label === 'positive' ? POSITIVE : NEGATIVE);
    return { text: pick(r, TEMPLATES).replace('{s}', pick(r, SUBJECTS)).replace('{w}', w), label };
  });
}

/** `n` mixed reviews ("the film was great but the ending dull"): no clear label. */
export function mixedReviews(n: number, seed: number): Example[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => ({ text: `${pick(r, SUBJECTS)} ${pick(r, POSITIVE)} but ${pick(r, SUBJECTS)} ${pick(r, NEGATIVE)}` }));
}

/** The teacher: the fixture LM with a cue for every sentiment word (its prior favours "positive" 3:1). */
export function teacherLM(options: Partial<FixtureOptions> = {}): FixtureLM {
  const lines: string[] = [];
  for (let i = 0; i < 6; i++) lines.push(`Input: the film was ${POSITIVE[i]}\nLabel: positive\n`);
  for (let i = 0; i < 2; i++) lines.push(`Input: the film was ${NEGATIVE[i]}\nLabel: negative\n`);
  return new FixtureLM({
    corpus: lines.join('\n'),
    cues: { ' positive': POSITIVE, ' negative': NEGATIVE },
    beta: 3,
    window: 5,
    id: 'fixture:teacher',
    ...options,
  });
}

/** Gold demonstrations, an unlabelled pool (clear and mixed reviews, shuffled) and a labelled test set. */
export function toyTask(poolSize = 96, seed = 7): { demos: Example[]; pool: Example[]; test: Example[] } {
  const demos = reviews(8, seed);
  const test = reviews(60, seed + 4);
  const seen = new Set(test.map((e) => e.text));
  // Pool texts never repeat a test text (the summary would warn of the leak).
  const clear = reviews(2 * poolSize, seed + 1).filter((e) => !seen.has(e.text)).slice(0, poolSize - Math.floor(poolSize / 8)).map((e) => ({ text: e.text }));
  const mixed = mixedReviews(Math.floor(poolSize / 8), seed + 2);
  const r = mulberry32(seed + 3);
  const pool = [...clear, ...mixed].map((e) => ({ e, k: r() })).sort((a, b) => a.k - b.k).map((x) => x.e);
  return { demos, pool, test };
}
