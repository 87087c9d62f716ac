// Formatting shared by every reason, so that each prints its numbers the same way.
import { metricTitle } from '../eval/metric.js';
import type { ArmKind, SummaryRow } from '../eval/results.js';

/** A metric value (accuracy, F1) to two decimals. */
export function fmtAcc(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : 'n/a';
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms < 0.1) return `${+ms.toPrecision(1)} ms`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  return fmtSeconds(ms / 1000);
}

export function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return 'n/a';
  if (s < 0.1) return `${+s.toPrecision(1)} s`;
  if (s < 90) return `${Math.round(s * 10) / 10} s`;
  if (s < 90 * 60) return `${Math.round(s / 6) / 10} min`;
  if (s < 48 * 3600) return `${Math.round(s / 360) / 10} h`;
  return `${Math.round(s / 8640) / 10} days`;
}

export function fmtCount(n: number): string {
  if (n >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return String(n);
}

/** "0.87 [0.84, 0.90]": the row's primary metric and its 95% interval. */
export function fmtRow(r: SummaryRow): string {
  return `${fmtAcc(r.mean)} [${fmtAcc(r.ci.lower)}, ${fmtAcc(r.ci.upper)}]`;
}

/** "macro-F1 0.87 [0.84, 0.90]". */
export function fmtScore(r: SummaryRow): string {
  return `${metricTitle(r.metric)} ${fmtRow(r)}`;
}

export function kindName(k: ArmKind): string {
  return k === 'finetune' ? 'fine-tuning' : k === 'icl' ? 'in-context learning' : k === 'distilled' ? 'distillation' : k === 'ft-remote' ? 'remote fine-tuning' : 'the classical baseline';
}
