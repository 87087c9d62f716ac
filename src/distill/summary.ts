// What a distillation run reports: how much the teacher labelled and at what cost, what the
// student kept, how often the student agrees with the teacher on held-out pool items, and, with a
// labelled test set, both models' accuracy and macro-F1 with 95% bootstrap intervals.
import { bootstrapInterval, classificationMetrics, macroF1, type Interval } from '../eval/metrics.js';
import type { DropReason } from './filter.js';
import type { TeacherUsage } from './teacher.js';

export interface Scores {
  accuracy: Interval;
  macroF1: Interval;
  n: number;
}

export interface DistillSummary {
  version: 1;
  labels: string[];
  teacher: { id: string; k: number; select: string; calibrate: boolean };
  student: { model: string; method: string; soft: boolean; steps: number; out?: string };
  pool: {
    /** Texts in the pool; `labelled` of them were labelled by the teacher. */
    available: number;
    labelled: number;
    heldOut: number;
    kept: number;
    teacherPerClass: Record<string, number>;
    keptPerClass: Record<string, number>;
    dropped: Record<DropReason, number>;
    /** Gold demonstrations the student trained on besides the kept items. */
    demonstrations: number;
  };
  /** Teacher usage for labelling the pool (the test set's labelling is not in it). */
  teacherUsage: TeacherUsage & { pricePerMillionUsd?: number; costUsd?: number; newCostUsd?: number };
  /** Student predictions equal to the teacher's label on held-out pool items. */
  agreement: (Interval & { n: number }) | null;
  /** With a test set: both models' scores, and what labelling the test set cost the teacher (not in teacherUsage). */
  test: { n: number; teacher: Scores; student: Scores; teacherUsage: TeacherUsage } | null;
  timings: { labelSeconds: number; trainSeconds: number; evalSeconds: number; totalSeconds: number };
  warnings: string[];
}

/** Accuracy and macro-F1 of `pred` against `gold`, each with a 95% percentile-bootstrap interval. */
export function scoreWithIntervals(gold: string[], pred: string[], labels: readonly string[], seed = 0): Scores {
  const m = classificationMetrics(gold, pred, labels);
  const acc = bootstrapInterval(gold, pred, (g, p) => g.filter((x, i) => x === p[i]).length / Math.max(1, g.length), { seed });
  const f1 = bootstrapInterval(gold, pred, (g, p) => macroF1(g, p, labels), { seed });
  return { accuracy: { ...acc, estimate: m.accuracy }, macroF1: { ...f1, estimate: m.macroF1 }, n: m.n };
}

/** Share of items where the student says what the teacher said, with a 95% bootstrap interval. */
export function agreementWithTeacher(teacher: string[], student: string[], seed = 0): Interval & { n: number } {
  const i = bootstrapInterval(teacher, student, (g, p) => g.filter((x, j) => x === p[j]).length / Math.max(1, g.length), { seed });
  return { ...i, n: teacher.length };
}

/** USD for `tokens` at `pricePerMillion` USD per million tokens. */
export function tokenCost(tokens: number, pricePerMillion: number): number {
  return (tokens * pricePerMillion) / 1e6;
}

const n = (x: number) => x.toLocaleString('en-US');
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const withCi = (i: Interval) => `${pct(i.estimate)} [${pct(i.lower)}, ${pct(i.upper)}]`;
const usd = (x: number) => (x >= 1 ? `$${x.toFixed(2)}` : `$${x.toPrecision(2)}`);
const perClass = (m: Record<string, number>) => Object.entries(m).map(([l, n]) => `${l} ${n}`).join(', ');

/** The summary as the CLI prints it. */
export function formatSummary(s: DistillSummary): string {
  const u = s.teacherUsage;
  const fresh = u.newTokens === u.tokens ? 'all sent in this run'
    : u.newTokens === 0 ? 'all answered by the response cache: nothing sent in this run'
    : `${n(u.newTokens)} sent in this run, the rest answered by the response cache`;
  const lines = [
    `teacher ${s.teacher.id} (k=${s.teacher.k}, ${s.teacher.select}${s.teacher.calibrate ? ', calibrated' : ''}) labelled ${s.pool.labelled} of ${s.pool.available} pool texts in ${s.timings.labelSeconds.toFixed(1)} s`,
    `  teacher labels: ${perClass(s.pool.teacherPerClass)}`,
    `  kept for the student: ${s.pool.kept} (${perClass(s.pool.keptPerClass)}) + ${s.pool.demonstrations} gold demonstrations; held out ${s.pool.heldOut}` +
      `; dropped ${s.pool.dropped.confidence} below the confidence threshold, ${s.pool.dropped['per-class']} over the per-class cap, ${s.pool.dropped.balance} for class balance`,
    `  teacher tokens: ${n(u.tokens)} in ${n(u.calls)} scoring calls (${fresh})` +
      (u.costUsd !== undefined ? `; cost ${usd(u.costUsd)} at $${u.pricePerMillionUsd}/M tokens (${usd(u.newCostUsd!)} paid in this run)` : ''),
    `student ${s.student.model} (${s.student.method}, ${s.student.soft ? 'soft' : 'hard'} labels): ${s.student.steps} steps in ${s.timings.trainSeconds.toFixed(1)} s${s.student.out ? ` -> ${s.student.out}` : ''}`,
  ];
  if (s.agreement) lines.push(`  agrees with the teacher on ${withCi(s.agreement)} of ${s.agreement.n} held-out pool texts`);
  if (s.test) {
    lines.push(`on the test set (${s.test.n} examples, 95% bootstrap intervals):`);
    for (const [who, sc] of [['teacher', s.test.teacher], ['student', s.test.student]] as const) {
      lines.push(`  ${who.padEnd(8)} accuracy ${withCi(sc.accuracy)}  macro-F1 ${withCi(sc.macroF1)}`);
    }
  }
  for (const w of s.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}
