// Which teacher-labelled pool items the student trains on: some are held out (to measure how well
// the student agrees with the teacher), then the rest are filtered by the teacher's confidence, by a
// top-N-per-class cap, and by a class-balance cap, always keeping the most confident items.
import { shuffle } from '../data/random.js';
import type { TeacherLabel } from './teacher.js';

export type Split = 'train' | 'heldout' | 'dropped';
export type DropReason = 'confidence' | 'per-class' | 'balance';

/** One pool text with the teacher's label: a row of labelled.jsonl. */
export interface LabelledItem extends TeacherLabel {
  text: string;
  textPair?: string;
  split: Split;
  dropped?: DropReason;
}

export interface FilterOptions {
  /** Pool items held out of training for the student–teacher agreement (default 0). */
  holdout?: number;
  /** Keep items whose teacher probability of its label is at least this (0..1; default 0: all). */
  minConfidence?: number;
  /** Keep at most this many items a class, the most confident (default: no cap). */
  perClass?: number;
  /** No class keeps more than this multiple of the smallest non-empty class (>= 1; 0 = no cap; default 5). */
  maxImbalance?: number;
  seed?: number;
}

export interface FilterResult {
  items: LabelledItem[];
  /** Teacher labels over every labelled item (held out included). */
  teacherPerClass: Record<string, number>;
  keptPerClass: Record<string, number>;
  kept: number;
  heldOut: number;
  dropped: Record<DropReason, number>;
}

export function checkFilterOptions(o: FilterOptions): void {
  if (o.holdout !== undefined && (!Number.isInteger(o.holdout) || o.holdout < 0)) throw new RangeError(`holdout must be a non-negative integer, got ${o.holdout}`);
  if (o.minConfidence !== undefined && !(o.minConfidence >= 0 && o.minConfidence <= 1)) throw new RangeError(`minConfidence must be between 0 and 1, got ${o.minConfidence}`);
  if (o.perClass !== undefined && (!Number.isInteger(o.perClass) || o.perClass < 1)) throw new RangeError(`perClass must be a positive integer, got ${o.perClass}`);
  if (o.maxImbalance !== undefined && !(o.maxImbalance === 0 || (o.maxImbalance >= 1 && Number.isFinite(o.maxImbalance)))) {
    throw new RangeError(`maxImbalance must be 0 (no cap) or at least 1, got ${o.maxImbalance}`);
  }
}

/** Most confident first; ties in pool order (deterministic). */
function byConfidence(items: readonly LabelledItem[], idx: number[]): number[] {
  return idx.slice().sort((a, b) => items[b]!.confidence - items[a]!.confidence || a - b);
}

export function filterLabelled(
  labelled: ReadonlyArray<TeacherLabel & { text: string; textPair?: string }>,
  labels: readonly string[],
  o: FilterOptions = {},
): FilterResult {
  checkFilterOptions(o);
  const items: LabelledItem[] = labelled.map((x) => ({ ...x, split: 'train' as Split }));
  const dropped: Record<DropReason, number> = { confidence: 0, 'per-class': 0, balance: 0 };
  const drop = (i: number, why: DropReason) => {
    items[i]!.split = 'dropped';
    items[i]!.dropped = why;
    dropped[why]++;
  };
  const holdout = Math.min(o.holdout ?? 0, items.length);
  for (const i of shuffle(items.map((_, i) => i), o.seed ?? 0).slice(0, holdout)) items[i]!.split = 'heldout';

  const minConfidence = o.minConfidence ?? 0;
  items.forEach((it, i) => { if (it.split === 'train' && it.confidence < minConfidence) drop(i, 'confidence'); });

  const inClass = (l: string) => items.flatMap((it, i) => (it.split === 'train' && it.label === l ? [i] : []));
  if (o.perClass !== undefined) for (const l of labels) for (const i of byConfidence(items, inClass(l)).slice(o.perClass)) drop(i, 'per-class');

  const maxImbalance = o.maxImbalance ?? 5;
  const sizes = labels.map((l) => inClass(l).length).filter((n) => n > 0);
  if (maxImbalance > 0 && sizes.length > 0) {
    const cap = Math.ceil(maxImbalance * Math.min(...sizes));
    for (const l of labels) for (const i of byConfidence(items, inClass(l)).slice(cap)) drop(i, 'balance');
  }

  const count = (pred: (it: LabelledItem) => boolean) => Object.fromEntries(labels.map((l) => [l, items.filter((it) => it.label === l && pred(it)).length]));
  const keptPerClass = count((it) => it.split === 'train');
  return {
    items,
    teacherPerClass: count(() => true),
    keptPerClass,
    kept: Object.values(keptPerClass).reduce((a, b) => a + b, 0),
    heldOut: holdout,
    dropped,
  };
}
