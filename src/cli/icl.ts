// `tuneshot icl`: in-context learning on a labelled test file with demonstrations drawn from a
// training file, through any language model backend; predictions as JSONL (atomic), metrics printed,
// and optionally the prompt program (with its backend) saved for `tuneshot serve`. The candidate
// labels come from the demonstrations (or --labels), never from the test file.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import {
  collectHubModels, createLanguageModel, loadExamples, runIcl, saveProgramWithBackend, trackRun, truncateAll, withCache,
  type ClassificationMetrics, type GenerationMetrics, type HubModelRecord, type SelectionMethod,
} from '../index.js';
import { Progress } from '../util/progress.js';
import { writeJsonlAtomic } from '../io/atomic.js';
import { prepareOutputFile } from '../io/output.js';
import { commandLine, list, num, oneOf } from './args.js';

const BACKENDS = ['builtin', 'llamacpp', 'openai'] as const;
const SELECTIONS: readonly SelectionMethod[] = ['random', 'balanced', 'knn'];

interface IclCliOptions {
  backend: (typeof BACKENDS)[number];
  model: string;
  demos: string;
  data: string;
  task: 'classify' | 'generate';
  labels?: string[];
  k: number;
  select: SelectionMethod;
  calibrate?: boolean;
  scoring: 'sum' | 'mean';
  instruction?: string;
  cache: boolean;
  baseUrl?: string;
  apiKey?: string;
  concurrency: number;
  textField: string;
  labelField: string;
  out: string;
  overwrite?: boolean;
  saveProgram?: string;
  seed: number;
  quiet?: boolean;
}

export function registerIcl(program: Command): void {
  program
    .command('icl')
    .description('in-context learning: predict a test file with k demonstrations from a training file')
    .requiredOption('--backend <name>', `language model backend (${BACKENDS.join(', ')})`, oneOf(BACKENDS))
    .requiredOption('--model <model>', 'builtin: decoder folder, tuneshot-base-lm or Hub id (Qwen/Qwen2.5-0.5B-Instruct); llamacpp: .gguf file; openai: model name')
    .requiredOption('--demos <file>', 'demonstration pool (JSONL or CSV, usually the training split)')
    .requiredOption('--data <file>', 'examples to predict (JSONL or CSV with gold labels)')
    .option('--task <task>', 'classify or generate', oneOf(['classify', 'generate'] as const), 'classify')
    .option('--labels <list>', 'candidate labels (comma-separated; default: the labels of the demonstrations)', list)
    .option('--k <n>', 'demonstrations a prompt', num('k'), 8)
    .option('--select <method>', 'random, balanced or knn', oneOf(SELECTIONS), 'balanced')
    .option('--calibrate', 'contextual calibration (content-free inputs)')
    .option('--scoring <kind>', 'label score: sum or mean of token log-probabilities', oneOf(['sum', 'mean'] as const), 'sum')
    .option('--instruction <text>', 'instruction placed before the demonstrations')
    .option('--no-cache', 'do not read or write the response cache')
    .option('--base-url <url>', 'openai backend: server URL including /v1 (default $OPENAI_BASE_URL, else https://api.openai.com/v1)')
    .option('--api-key <key>', 'openai backend: API key (default $OPENAI_API_KEY)')
    .option('--concurrency <n>', 'examples predicted at once', num('concurrency'), 4)
    .option('--text-field <name>', 'field holding the text', 'text')
    .option('--label-field <name>', 'field holding the label', 'label')
    .option('--out <file>', 'predictions JSONL (missing folders are created)', 'predictions.jsonl')
    .option('--overwrite', 'replace earlier predictions in --out (and an earlier prompt program in --save-program)')
    .option('--save-program <file>', 'write the prompt program (prompt.json, with its backend) for `tuneshot serve`')
    .option('--seed <n>', 'random seed of demonstration selection and order', num('seed'), 0)
    .option('--quiet', 'no progress output')
    .action(async (o: IclCliOptions) => {
      const inputs = [o.demos, o.data, ...(o.backend !== 'openai' ? [o.model] : [])];
      prepareOutputFile(o.out, { kind: 'predictions', overwrite: o.overwrite, inputs });
      if (o.saveProgram) {
        if (path.resolve(o.saveProgram) === path.resolve(o.out)) throw new Error(`--save-program ${o.saveProgram}: the same file as --out`);
        prepareOutputFile(o.saveProgram, { kind: 'prompt-program', overwrite: o.overwrite, inputs, option: '--save-program' });
      }
      const fields = { textField: o.textField, labelField: o.labelField };
      const demos = loadExamples(o.demos, { task: o.task, ...fields, ...(o.labels ? { labels: o.labels } : {}) });
      const labels = o.task === 'classify' ? demos.labels : undefined;
      // A gold label outside the candidates fails here, naming the file and line, before any work.
      const data = loadExamples(o.data, { task: o.task, ...fields, ...(labels ? { labels } : {}) });

      const spec = { backend: o.backend as string, model: o.model, ...(o.baseUrl ? { baseURL: o.baseUrl } : {}), ...(o.apiKey ? { apiKey: o.apiKey } : {}) };
      const hubModels: HubModelRecord[] = []; // a builtin model given by Hub id: recorded with its commit
      const raw = await collectHubModels(() => createLanguageModel(spec), (m) => hubModels.push(...m));
      const lm = withCache(raw, undefined, { bypass: o.cache === false });
      try {
        // A small context window: demonstrations and query share it equally (prefix kept), counted in a warning.
        const perText = Math.max(16, Math.floor((lm.contextLength - 64) / (o.k + 1)));
        const fitDemos = await truncateAll(lm, demos.examples, perText), fitData = await truncateAll(lm, data.examples, perText);
        demos.examples = fitDemos.items;
        data.examples = fitData.items;
        if (fitDemos.truncated + fitData.truncated && !o.quiet) {
          process.stderr.write(`warning: ${fitDemos.truncated} demonstrations and ${fitData.truncated} inputs were cut to ${perText} tokens to fit ${o.k} demonstrations and the query in ${lm.contextLength} tokens\n`);
        }
        const progress = new Progress({ total: data.examples.length, label: `icl ${o.backend}`, unit: 'ex/s', quiet: !!o.quiet });
        progress.start();
        const r = await trackRun('icl', { command: commandLine(), ...o, ...(hubModels.length ? { hubModels } : {}) }, [o.demos, o.data], [path.resolve(o.out)], () => runIcl({
          lm, demos: demos.examples, data: data.examples, task: o.task, ...(labels ? { labels } : {}), k: o.k, select: o.select,
          calibrate: !!o.calibrate, scoring: o.scoring, seed: o.seed, concurrency: o.concurrency,
          ...(o.instruction !== undefined ? { instruction: o.instruction } : {}),
          onProgress: (done) => progress.update(done, {}, 1),
        }), (r) => ({ ...(r.metrics as unknown as Record<string, unknown>), durationMs: r.durationMs }));
        progress.stop();
        writeJsonlAtomic(o.out, r.predictions);
        if (o.saveProgram) await saveProgramWithBackend(o.saveProgram, r.program, `${o.backend}:${o.backend !== 'openai' && existsSync(o.model) ? path.resolve(o.model) : o.model}`);
        const secs = (r.durationMs / 1000).toFixed(1);
        if (o.task === 'classify') {
          const m = r.metrics as ClassificationMetrics;
          console.log(`${lm.id}, k=${o.k}, ${o.select}${o.calibrate ? ', calibrated' : ''}: accuracy ${(m.accuracy * 100).toFixed(2)}%, macro-F1 ${(m.macroF1 * 100).toFixed(2)}% on ${m.n} examples (${secs} s)`);
          for (const l of m.labels) {
            const c = m.perClass[l]!;
            console.log(`  ${l}: precision ${(c.precision * 100).toFixed(1)}%, recall ${(c.recall * 100).toFixed(1)}%, F1 ${(c.f1 * 100).toFixed(1)}%`);
          }
          const dropped = r.predictions.reduce((a, p) => a + (p.droppedDemonstrations ?? 0), 0);
          if (dropped > 0) console.log(`note: ${dropped} demonstrations were dropped to fit the context window`);
        } else {
          const m = r.metrics as GenerationMetrics;
          console.log(`${lm.id}, k=${o.k}: exact match ${(m.exactMatch * 100).toFixed(2)}%, token F1 ${(m.tokenF1 * 100).toFixed(2)}% on ${m.n} examples (${secs} s)`);
        }
        console.log(`predictions: ${o.out}${o.saveProgram ? `; prompt program: ${o.saveProgram}` : ''}`);
      } finally {
        await lm.dispose?.(); // the cache wrapper disposes the model it wraps
      }
    });
}
