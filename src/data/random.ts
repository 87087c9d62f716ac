// Small, dependency-free seeded randomness. Everything in src/data that needs
// randomness goes through here so results are reproducible from one seed.

/** A random source returning floats in [0, 1). */
export type Rng = () => number;

/** mulberry32 and seed derivation: the engine's (one implementation for the whole project). */
export { mulberry32, subSeed } from '../engine/random.js';
import { mulberry32 } from '../engine/random.js';

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
