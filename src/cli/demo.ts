// `tuneshot demo`: the offline demo. compare on the built-in spam dataset with the embedded models:
// ICL with tuneshot-base-lm against fine-tuning tuneshot-base-encoder (head-only, LoRA, full), at a
// few label budgets and two seeds, on a fixed subset of the test set so that it finishes within a
// few minutes on two CPU cores. Prints the recommendation and where the report is.
import * as path from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { armLabel, builtinDataset, compare, flagMark, fmtMs, formatAdvice, type Budget, type Method } from '../index.js';
import { DEMO_DISTILL_HINT, checkTeacherSpec, demoDistill } from './distill.js';
import { num } from './args.js';

interface DemoCliOptions {
  out: string;
  quiet?: boolean;
  iclModel: string;
  ftModel: string;
  testLimit: number;
  teacher?: string;
}

/** Sized to finish in under 5 minutes on 2 cores (measured; see the session notes in the commit). */
export const DEMO = {
  budgets: [0, 4, 16, 64] as Budget[],
  seeds: 2,
  methods: ['head', 'lora', 'full'] as Method[],
  testLimit: 200,
  k: 4,
};

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('offline demo: fine-tuning vs in-context learning on the built-in spam dataset with the embedded models')
    .option('--out <folder>', 'output folder (an earlier demo folder is continued)', 'tuneshot-demo')
    .option('--quiet', 'no progress output')
    .option('--teacher <backend:model>', 'also show distillation: this ICL model labels training emails for a fine-tuned student')
    .addOption(new Option('--icl-model <spec>', 'ICL model').default('builtin:tuneshot-base-lm').hideHelp())
    .addOption(new Option('--ft-model <model>', 'base model to fine-tune').default('tuneshot-base-encoder').hideHelp())
    .addOption(new Option('--test-limit <n>', 'test examples scored').argParser(num('testLimit')).default(DEMO.testLimit).hideHelp())
    .action(async (o: DemoCliOptions) => {
      if (o.teacher) checkTeacherSpec(o.teacher);
      const started = performance.now();
      const ds = builtinDataset('spam');
      console.log(
        `tuneshot demo: is fine-tuning or in-context learning right for spam filtering?\n` +
          `  data:    built-in SpamAssassin sample (${path.relative(process.cwd(), ds.train) || ds.train}); scored on a fixed random ${o.testLimit} of its 300 test emails to keep the demo short\n` +
          `  ICL:     ${o.iclModel}, ${DEMO.k} demonstrations from the labelled pool (0/class = zero-shot)\n` +
          `  fine-tune: ${o.ftModel} (${DEMO.methods.join(', ')})\n` +
          `  baselines: majority label, TF-IDF + logistic regression (the floor any recommendation must clear)\n` +
          `  budgets: ${DEMO.budgets.join(', ')} labelled examples a class, ${DEMO.seeds} seeds each\n`,
      );
      const r = await compare({
        train: ds.train, test: ds.test, labels: ds.labels, icl: [o.iclModel], ft: [o.ftModel], methods: DEMO.methods,
        budgets: DEMO.budgets, seeds: DEMO.seeds, k: DEMO.k, testLimit: o.testLimit, out: o.out, quiet: !!o.quiet,
        command: 'tuneshot demo',
      });
      console.log('');
      const rows = r.results.summary.map((s) => {
        const label = armLabel(r.results, s.arm);
        const flag = flagMark(s);
        return `  ${label.padEnd(36)} ${String(s.budget).padStart(3)}/class  acc ${(s.meanAccuracy * 100).toFixed(1).padStart(5)}%  macro-F1 ${(s.meanMacroF1 * 100).toFixed(1).padStart(5)}%  p95 ${fmtMs(s.p95Ms).padStart(8)}${flag ? `  (${flag})` : ''}`;
      });
      console.log(`Measured (mean over ${DEMO.seeds} seeds, ${r.results.task.testSize} test emails):\n${rows.join('\n')}\n`);
      console.log(formatAdvice(r.advice).trimEnd());
      console.log(`\nreport: ${path.resolve(r.paths.html)}`);
      if (o.teacher) console.log(`\nDistillation:\n${await demoDistill({ teacher: o.teacher, student: o.ftModel, out: o.out, testLimit: o.testLimit, quiet: !!o.quiet })}`);
      else console.log(`\n${DEMO_DISTILL_HINT}`);
      console.log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s${r.reused.length ? ` (${r.reused.length} cells reused from an earlier run)` : ''}`);
    });
}
