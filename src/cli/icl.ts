// `tuneshot icl`: in-context learning on a labelled test file with demonstrations drawn from a
// training file, through any language model backend; predictions as JSONL (atomic), metrics printed,
// and optionally the prompt program (with its backend) saved for `tuneshot serve`.
import { trackRun } from '../registry/track.js';
import { collectHubModels, type HubModelRecord } from '../hub/provenance.js';
import { truncateAll } from '../icl/truncate.js';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { loadExamples } from '../data/dataset.js';
import { createLanguageModel } from '../icl/backends/index.js';
import { withCache } from '../icl/cache.js';
import { saveProgramWithBackend } from '../icl/load-program.js';
import type { SelectionMethod } from '../icl/prompt.js';
import { runIcl, type GenerationMetrics } from '../icl/run.js';
import type { ClassificationMetrics } from '../eval/metrics.js';
import { Progress } from '../util/progress.js';
import { commandLine, int } from './main.js';
import { writeJsonlAtomic } from './predict.js';

const BACKENDS = ['builtin', 'llamacpp', 'openai'];
const SELECTIONS: SelectionMethod[] = ['random', 'balanced', 'knn'];

export function registerIcl(program: Command): void {
  program
    .command('icl')
    .description('in-context learning: predict a test file with k demonstrations from a training file')
    .requiredOption('--backend <name>', `language model backend (${BACKENDS.join(', ')})`)
    .requiredOption('--model <model>', 'builtin: decoder folder, tuneshot-base-lm or Hub id (Qwen/Qwen2.5-0.5B-Instruct); llamacpp: .gguf file; openai: model name')
    .requiredOption('--demos <file>', 'demonstration pool (JSONL or CSV, usually the training split)')
    .requiredOption('--data <file>', 'examples to predict (JSONL or CSV with gold labels)')
    .option('--task <task>', 'classify or generate', 'classify')
    .option('--k <n>', 'demonstrations a prompt', int, 8)
    .option('--select <method>', 'random, balanced or knn', 'balanced')
    .option('--calibrate', 'contextual calibration (content-free inputs)')
    .option('--scoring <kind>', 'label score: sum or mean of token log-probabilities', 'sum')
    .option('--instruction <text>', 'instruction placed before the demonstrations')
    .option('--no-cache', 'do not read or write the response cache')
    .option('--base-url <url>', 'openai backend: server URL including /v1 (default $OPENAI_BASE_URL)')
    .option('--api-key <key>', 'openai backend: API key (default $OPENAI_API_KEY)')
    .option('--concurrency <n>', 'examples predicted at once', int, 4)
    .option('--text-field <name>', 'field holding the text', 'text')
    .option('--label-field <name>', 'field holding the label', 'label')
    .option('--out <file>', 'predictions JSONL', 'predictions.jsonl')
    .option('--save-program <file>', 'write the prompt program (prompt.json, with its backend) for `tuneshot serve`')
    .option('--seed <n>', 'random seed of demonstration selection and order', int, 0)
    .option('--quiet', 'no progress output')
    .action(async (o) => {
      if (!BACKENDS.includes(o.backend)) throw new Error(`--backend must be one of ${BACKENDS.join(', ')}, got "${o.backend}"`);
      if (!SELECTIONS.includes(o.select)) throw new Error(`--select must be one of ${SELECTIONS.join(', ')}, got "${o.select}"`);
      if (o.task !== 'classify' && o.task !== 'generate') throw new Error(`--task must be classify or generate, got "${o.task}"`);
      if (o.scoring !== 'sum' && o.scoring !== 'mean') throw new Error(`--scoring must be sum or mean, got "${o.scoring}"`);
      const fields = { textField: o.textField, labelField: o.labelField };
      const demos = loadExamples(o.demos, { task: o.task, ...fields });
      const data = loadExamples(o.data, { task: o.task, ...fields });
      const labels = o.task === 'classify' ? [...new Set([...demos.labels, ...data.labels])].sort() : undefined;

      const spec = { backend: o.backend as string, model: o.model as string, ...(o.baseUrl ? { baseURL: o.baseUrl } : {}), ...(o.apiKey ? { apiKey: o.apiKey } : {}) };
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
