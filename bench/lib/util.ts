// Shared helpers for the benchmarks: timing with warm-up and medians, a plain-text table, and
// the FLOP formulas used for MFU.
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Run `fn` `warmup` times untimed, then `reps` times timed; returns every timing in seconds. */
export async function timeIt(fn: () => Promise<unknown> | unknown, reps: number, warmup = 1): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    out.push((performance.now() - t0) / 1000);
  }
  return out;
}

export function table(headers: string[], rows: Array<Array<string | number | null>>): string {
  const cells = rows.map((r) => r.map((c) => (c === null ? 'n/a' : typeof c === 'number' ? fmt(c) : c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => '| ' + r.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  return [line(headers), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...cells.map(line)].join('\n');
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  if (a >= 100) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(3);
}

export const round = (x: number | null, d = 4): number | null => (x === null || !Number.isFinite(x) ? null : Number(x.toPrecision(d)));

export interface EncoderShape {
  name: string;
  layers: number;
  hidden: number;
  heads: number;
  ffn: number;
  vocab: number;
  seq: number;
  batch: number;
  maxPositions: number;
}

/**
 * Parameters of the BERT-style encoder with a tied MLM head, split into embedding and
 * non-embedding parts (the same architecture all three implementations build).
 */
export function encoderParams(s: EncoderShape): { embedding: number; nonEmbedding: number } {
  const H = s.hidden, F = s.ffn;
  const perLayer = 4 * (H * H + H) + 2 * H /* attn + LN */ + (H * F + F) + (F * H + H) + 2 * H /* FFN + LN */;
  const embedding = s.vocab * H + s.maxPositions * H + 2 * H;
  const nonEmbedding = s.layers * perLayer + 2 * H /* emb LN */ + (H * H + H) + 2 * H /* MLM transform + LN */ + s.vocab /* MLM bias */;
  return { embedding, nonEmbedding };
}

/**
 * Model FLOPs of one training step (forward + backward), MLM head over ALL B*T positions:
 *
 *   FLOPs = 6 * N_nonemb * B*T            (every weight: 2 FLOPs/token forward, 4 backward)
 *         + 12 * L * B * T^2 * H          (attention scores QK^T and probs*V: 2*2*T^2*H forward per
 *                                          layer and sequence, x3 for forward+backward)
 *         + 6 * B*T * H * V               (tied vocabulary projection, forward + backward)
 *
 * Element-wise work (softmax, norms, GELU, the optimizer) is not counted, as is conventional.
 */
export function trainStepFlops(s: EncoderShape): number {
  const tokens = s.batch * s.seq;
  const { nonEmbedding } = encoderParams(s);
  return 6 * nonEmbedding * tokens + 12 * s.layers * s.batch * s.seq * s.seq * s.hidden + 6 * tokens * s.hidden * s.vocab;
}

/** A python3 that imports torch: the default one, else Debian's (python3-torch installs there). */
export function torchPython(): string | null {
  for (const py of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(py, ['-c', 'import torch'], { stdio: 'ignore' });
      return py;
    } catch { /* next */ }
  }
  return null;
}
