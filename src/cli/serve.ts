// `tuneshot serve`: load every --model (fine-tuned classifier folder, decoder folder / embedded
// LM, or prompt.json) and serve them over the OpenAI-compatible HTTP API until SIGINT/SIGTERM.
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import {
  BuiltinLanguageModel, QUANTIZE_MODES, isClassifierFolder, isPromptProgramFile, loadClassifier, loadPretrained, loadProgramClassifier,
  quantizeClassifier, resolvePretrained, serve, type Classifier, type LanguageModel, type QuantizeMode,
} from '../index.js';
import { Option } from 'commander';
import { num } from './args.js';

interface ServeCliOptions {
  model: string[];
  port: number;
  host: string;
  apiKey?: string;
  batching: boolean;
  maxBatch: number;
  batchWaitMs: number;
  queueLimit: number;
  timeoutMs: number;
  maxTokens: number;
  backend?: string;
  baseUrl?: string;
  backendApiKey?: string;
  quantize?: QuantizeMode;
}

export interface ModelArg {
  name: string;
  source: string;
}

/** "name=path" or "path" (named by its basename, without .json for prompt programs). */
export function parseModelArg(arg: string): ModelArg {
  const m = /^([A-Za-z0-9][A-Za-z0-9._:-]*)=(.+)$/.exec(arg);
  if (m && !existsSync(arg)) return { name: m[1]!, source: m[2]! };
  const base = path.basename(path.resolve(arg));
  const name = /\.json$/i.test(base) ? base.replace(/\.json$/i, '') : base;
  return { name, source: arg };
}

export interface LoadedModels {
  languageModels: Record<string, LanguageModel>;
  classifiers: Record<string, Classifier>;
  /** name → kind, for printing. */
  kinds: Array<{ name: string; kind: string; id: string }>;
  dispose(): Promise<void>;
}

export async function loadServedModels(args: string[], o: { backend?: string; baseURL?: string; apiKey?: string; quantize?: QuantizeMode } = {}): Promise<LoadedModels> {
  const languageModels: Record<string, LanguageModel> = {};
  const classifiers: Record<string, Classifier> = {};
  const kinds: LoadedModels['kinds'] = [];
  const disposers: Array<() => Promise<void>> = [];
  const dispose = async () => {
    for (const d of disposers.reverse()) await d().catch(() => undefined);
  };
  try {
    for (const arg of args) {
      const { name, source } = parseModelArg(arg);
      if (name in languageModels || name in classifiers) throw new Error(`two models named "${name}": name them with name=path`);
      if (existsSync(source) && statSync(source).isFile()) {
        if (!(await isPromptProgramFile(source))) throw new Error(`${source}: not a prompt program (prompt.json) nor a model folder`);
        const backendOptions: Record<string, unknown> = {};
        if (o.baseURL) backendOptions['baseURL'] = o.baseURL;
        if (o.apiKey) backendOptions['apiKey'] = o.apiKey;
        const clf = await loadProgramClassifier(source, { backend: o.backend, backendOptions });
        classifiers[name] = clf;
        disposers.push(() => clf.dispose?.() ?? Promise.resolve());
        kinds.push({ name, kind: 'icl classifier', id: clf.id });
        continue;
      }
      const dir = (await resolvePretrained(source)).dir;
      if (isClassifierFolder(dir)) {
        const clf = o.quantize ? await quantizeClassifier(await loadClassifier(dir), o.quantize) : await loadClassifier(dir);
        classifiers[name] = clf;
        kinds.push({ name, kind: o.quantize ? `classifier (${o.quantize})` : 'classifier', id: clf.id });
        continue;
      }
      const model = await loadPretrained(source);
      if (model.family.kind === 'encoder') {
        throw new Error(`${source}: an encoder without a classification head (no id2label); fine-tune it first: tuneshot finetune --task classify`);
      }
      const lm = new BuiltinLanguageModel(model, name);
      languageModels[name] = lm;
      kinds.push({ name, kind: 'language model', id: lm.id });
    }
  } catch (e) {
    await dispose();
    throw e;
  }
  return { languageModels, classifiers, kinds, dispose };
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve fine-tuned classifiers, language models and prompt programs over an OpenAI-compatible HTTP API')
    .requiredOption('--model <models...>', 'model folders, embedded model names, Hub ids or prompt.json files; name=path to choose the served name')
    .option('--port <n>', 'port (0 = any free port)', num('port'), 8080)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--api-key <key>', 'require "Authorization: Bearer <key>" (default $TUNESHOT_API_KEY)')
    .option('--no-batching', 'turn off dynamic batching of /v1/classify')
    .option('--max-batch <n>', 'largest dynamic batch (inputs)', num('maxBatch'), 32)
    .option('--batch-wait-ms <n>', 'how long an idle model waits for more requests before starting a batch (requests arriving while it is busy are batched anyway)', num('batchWaitMs'), 0)
    .option('--queue-limit <n>', 'model requests admitted at once; beyond it 429', num('queueLimit'), 64)
    .option('--timeout-ms <n>', 'per-request timeout (504; the generation is cancelled)', num('timeoutMs'), 60_000)
    .option('--max-tokens <n>', 'largest max_tokens a request may ask for', num('maxTokens'), 512)
    .addOption(new Option('--quantize <mode>', 'run fine-tuned classifiers with int8 MatMuls (language models stay float32)').choices(QUANTIZE_MODES))
    .option('--backend <spec>', 'language model of prompt.json files that record none (e.g. builtin:tuneshot-base-lm)')
    .option('--base-url <url>', 'base URL for an openai backend of prompt.json files')
    .option('--backend-api-key <key>', 'API key for an openai backend of prompt.json files')
    .action(async (o: ServeCliOptions) => {
      const loaded = await loadServedModels(o.model, { backend: o.backend, baseURL: o.baseUrl, apiKey: o.backendApiKey, quantize: o.quantize });
      const apiKey: string | undefined = o.apiKey ?? (process.env['TUNESHOT_API_KEY'] || undefined);
      let server;
      try {
        server = await serve({
          languageModels: loaded.languageModels,
          classifiers: loaded.classifiers,
          ...(apiKey ? { apiKey } : {}),
          host: o.host,
          port: o.port,
          batching: o.batching === false ? false : { maxBatch: o.maxBatch, waitMs: o.batchWaitMs },
          queueLimit: o.queueLimit,
          timeoutMs: o.timeoutMs,
          maxTokens: o.maxTokens,
        });
      } catch (e) {
        await loaded.dispose();
        throw e;
      }
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) {
          console.error(`tuneshot serve: ${signal} again, exiting now`);
          process.exit(1);
        }
        stopping = true;
        console.log(`tuneshot serve: ${signal}, finishing in-flight requests`);
        server!
          .close()
          .then(() => loaded.dispose())
          .then(
            () => {
              console.log('tuneshot serve: stopped');
              process.exit(0);
            },
            (err: unknown) => {
              console.error(`tuneshot serve: shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
              process.exit(1);
            },
          );
      };
      // A second signal during shutdown forces the exit.
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
      console.log(`tuneshot serve: listening on ${server.url}${apiKey ? ' (API key required)' : ''}`);
      for (const k of loaded.kinds) console.log(`  ${k.name}  ${k.kind}  (${k.id})`);
      console.log(`batching: ${o.batching === false ? 'off' : `max ${o.maxBatch} inputs, wait ${o.batchWaitMs} ms`}`);
    });
}
