// `tuneshot advise`: the recommendation from a compare run's results and/or stated constraints;
// `tuneshot report`: re-render the report of a results.json.
import * as path from 'node:path';
import type { Command } from 'commander';
import { advise, formatAdvice, readResults, writeReport, type Constraints } from '../index.js';
import { openOutputFolder } from '../io/output.js';
import { num, oneOf } from './args.js';

const EXPERTISE = ['none', 'some', 'expert'] as const;

interface AdviseCliOptions {
  results?: string;
  labelledExamples?: number;
  latencyBudgetMs?: number;
  queriesPerDay?: number;
  taskChangesPerMonth?: number;
  consistent?: boolean;
  mlExpertise?: (typeof EXPERTISE)[number];
}

interface ReportCliOptions {
  out: string;
}

export function registerAdvise(program: Command): void {
  program
    .command('advise')
    .description('fine-tune or in-context learning? advice from measured results and your constraints')
    .option('--results <file>', 'results.json of a compare run')
    .option('--labelled-examples <n>', 'labelled examples a class you have (or can get)', num('labelledExamples'))
    .option('--latency-budget-ms <x>', 'per-query latency budget (compared with the measured p95)', num('latencyBudgetMs'))
    .option('--queries-per-day <n>', 'expected queries a day', num('queriesPerDay'))
    .option('--task-changes-per-month <n>', 'how often labels or their definitions change', num('taskChangesPerMonth'))
    .option('--consistent', 'the same input must always get the same label')
    .option('--ml-expertise <level>', 'none, some or expert', oneOf(EXPERTISE))
    .action(async (o: AdviseCliOptions) => {
      const constraints: Constraints = {
        ...(o.labelledExamples !== undefined ? { labelledExamples: o.labelledExamples } : {}),
        ...(o.latencyBudgetMs !== undefined ? { latencyBudgetMs: o.latencyBudgetMs } : {}),
        ...(o.queriesPerDay !== undefined ? { queriesPerDay: o.queriesPerDay } : {}),
        ...(o.taskChangesPerMonth !== undefined ? { taskChangesPerMonth: o.taskChangesPerMonth } : {}),
        ...(o.consistent ? { needConsistentOutput: true } : {}),
        ...(o.mlExpertise !== undefined ? { mlExpertise: o.mlExpertise } : {}),
      };
      const results = o.results ? readResults(o.results) : undefined;
      process.stdout.write(formatAdvice(advise(results, constraints)));
    });
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write report.html, summary.md and results.json from a compare results.json')
    .argument('<results>', 'results.json of a compare run')
    .requiredOption('--out <folder>', 'output folder (new, empty, or an earlier report or compare folder)')
    .action(async (file: string, o: ReportCliOptions) => {
      const results = readResults(file);
      openOutputFolder(o.out, { kind: 'report', inputs: [file] });
      const paths = await writeReport(o.out, results, advise(results, {}));
      console.log(`report: ${path.resolve(paths.html)}`);
      console.log(`summary: ${path.resolve(paths.markdown)}`);
    });
}
