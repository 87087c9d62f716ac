// Deterministic synthetic data for the benchmarks (random weights and tokens are fine: speed only).
import { mulberry32 } from '../../src/engine/index.js';
export type { EncoderShape } from './util.js';

/** `n` integers in [0, max) from a seeded generator. */
export function mulberryInts(n: number, max: number, seed: number): Int32Array {
  const r = mulberry32(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(r() * max);
  return out;
}
