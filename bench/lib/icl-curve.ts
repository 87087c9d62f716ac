// bench:pretrain-value, the LM half (issue 20): in-context learning accuracy of an embedded causal LM
// at k = 0, 4, 8, 16 with kNN and random demonstrations, beside the majority baseline, on the
// shared benchmarks and the spam demo. Texts are cut to fit as `tuneshot icl` cuts them.
import { loadExamples, shuffle, type Example } from '../../src/data/index.js';
import { BuiltinLanguageModel } from '../../src/icl/backends/builtin.js';
import { runIcl } from '../../src/icl/run.js';
import { truncateAll } from '../../src/icl/truncate.js';
import type { ClassificationMetrics } from '../../src/eval/metrics.js';
import { sharedSplit } from './shared.js';
import { round } from './util.js';

export interface IclCurve {
  majority: number;
  /** "knn:8" → accuracy; k = 0 has no selection, listed as "knn:0" and "random:0". */
  accuracy: Record<string, number>;
  macroF1: Record<string, number>;
}

/** The share of `test` the most frequent training label gets (ties: the first label in sorted order). */
export function majorityAccuracy(train: Example[], test: Example[]): number {
  const n = new Map<string, number>();
  for (const e of train) n.set(e.label!, (n.get(e.label!) ?? 0) + 1);
  const top = [...n.keys()].sort().reduce((a, b) => (n.get(b)! > n.get(a)! ? b : a));
  return test.filter((e) => e.label === top).length / test.length;
}

export async function iclCurves(o: { model: string; testLimit: number; ks: number[]; select: Array<'knn' | 'random'> }): Promise<Record<string, IclCurve>> {
  const lm = await BuiltinLanguageModel.load(o.model);
  const tasks: Record<string, { train: Example[]; test: Example[] }> = {
    spam: { train: loadExamples('datasets/spam/train.jsonl', { task: 'classify' }).examples, test: loadExamples('datasets/spam/test.jsonl', { task: 'classify' }).examples },
    sst2: { train: sharedSplit('sst2', 'train'), test: sharedSplit('sst2', 'test') },
    trec: { train: sharedSplit('trec', 'train'), test: sharedSplit('trec', 'test') },
    agnews: { train: sharedSplit('agnews', 'train'), test: sharedSplit('agnews', 'test') },
  };
  const out: Record<string, IclCurve> = {};
  for (const [name, t] of Object.entries(tasks)) {
    // A fixed subsample of the test set (seed 0), so the 32 runs fit in minutes.
    const test = t.test.length > o.testLimit ? shuffle(t.test, 0).slice(0, o.testLimit) : t.test;
    const curve: IclCurve = { majority: round(majorityAccuracy(t.train, test))!, accuracy: {}, macroF1: {} };
    for (const k of o.ks) {
      const perText = Math.max(16, Math.floor((lm.contextLength - 64) / (k + 1)));
      const demos = (await truncateAll(lm, t.train, perText)).items, data = (await truncateAll(lm, test, perText)).items;
      for (const select of k === 0 ? [o.select[0]!] : o.select) {
        const r = await runIcl({ lm, demos, data, k, select, seed: 0 });
        const m = r.metrics as ClassificationMetrics;
        for (const s of k === 0 ? o.select : [select]) {
          curve.accuracy[`${s}:${k}`] = round(m.accuracy)!;
          curve.macroF1[`${s}:${k}`] = round(m.macroF1)!;
        }
        process.stderr.write(`icl ${name} k=${k} ${k === 0 ? '' : select}: ${(m.accuracy * 100).toFixed(1)}%\n`);
      }
    }
    out[name] = curve;
  }
  return out;
}
