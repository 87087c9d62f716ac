// Small, dependency-free seeded randomness. Everything in src/data that needs
// randomness goes through here so results are reproducible from one seed.

/** A random source returning floats in [0, 1). */
export type Rng = () => number;

/** mulberry32, the engine's seeded generator (one implementation for the whole project). */
export { mulberry32 } from '../engine/random.js';
import { mulberry32 } from '../engine/random.js';

/** Hash a string (FNV-1a, 32 bit) to derive independent sub-seeds, e.g. one per class. */
export function hashString(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Combine a numeric seed with a string key into a new 32-bit seed. */
export function deriveSeed(seed: number, key: string): number {
  return hashString(key, (hashString(String(seed >>> 0)) ^ 0x9e3779b9) >>> 0);
}

/** Uniform integer in [0, n). */
export function randomInt(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

/**
 * Fisher–Yates shuffle. Returns a new array; the input is not modified.
 * `rngOrSeed` is either an Rng or a numeric seed (mulberry32).
 */
export function shuffle<T>(items: readonly T[], rngOrSeed: Rng | number): T[] {
  const rng = typeof rngOrSeed === 'number' ? mulberry32(rngOrSeed) : rngOrSeed;
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    const tmp = out[i]!;
    out[i] = out[j]!;
    out[j] = tmp;
  }
  return out;
}
