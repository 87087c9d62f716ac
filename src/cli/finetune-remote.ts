// `tuneshot finetune --remote openai --model <base>`: the remote branch of `finetune`, a thin layer
// over remoteFinetune() (src/remote). Its options are added to the finetune command here, and
// checked both ways: remote-only options need --remote, local-only options refuse it.
import type { Command } from 'commander';
import {
  loadExamples, loadPromptProgram, remoteFinetune, remoteProviders, type LoadOptions, type PromptProgram, type RemoteHyperparameters,
} from '../index.js';
import { commandLine, num } from './args.js';
import { addConnectionOptions, connectionFrom, pollIntervalMs, withDetach } from './remote-options.js';

const REMOTE_ONLY = ['baseUrl', 'apiKey', 'azureEndpoint', 'apiVersion', 'maxRetries', 'suffix', 'lrMultiplier', 'program', 'instruction', 'labels', 'pollInterval', 'detach'];
const LOCAL_ONLY: Record<string, string> = {
  method: '--method', maxSteps: '--max-steps', lr: '--lr (use --lr-multiplier)', loraR: '--lora-r', loraAlpha: '--lora-alpha',
  loraDropout: '--lora-dropout', loraTargets: '--lora-targets', pooling: '--pooling', maxLength: '--max-length', patience: '--patience',
  checkpointEvery: '--checkpoint-every', resume: '--resume', promptField: '--prompt-field', completionField: '--completion-field',
};
const flag = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

export function addRemoteOptions(cmd: Command): void {
  cmd.option('--remote <provider>', `fine-tune through a provider's fine-tuning jobs API (${remoteProviders().join(', ')}); --model is then its base model, e.g. gpt-4o-mini`);
  addConnectionOptions(cmd)
    .option('--suffix <text>', 'remote: part of the fine-tuned model name (up to 64 characters)')
    .option('--lr-multiplier <x>', 'remote: learning_rate_multiplier (default: the provider\'s choice, as for --epochs and --batch-size)', num('lrMultiplier'))
    .option('--program <prompt.json>', 'remote: prompt program (template, instruction, verbalizers, labels) the examples are rendered with')
    .option('--instruction <text>', 'remote: instruction of the prompt (default "Classify the text as one of: <labels>.")')
    .option('--labels <list>', 'remote: closed label set, comma-separated (default: the training labels)')
    .option('--poll-interval <seconds>', 'remote: seconds between status polls', '5')
    .option('--detach', 'remote: create the job and return; follow it later with `tuneshot jobs follow <id>`');
  cmd.hook('preAction', (_, action) => {
    const o = action.opts();
    const given = (k: string) => action.getOptionValueSource(k) === 'cli';
    if (o['remote'] === undefined) {
      const stray = REMOTE_ONLY.find(given);
      if (stray) throw new Error(`${flag(stray)} needs --remote`);
      return;
    }
    for (const [k, name] of Object.entries(LOCAL_ONLY)) if (given(k)) throw new Error(`${name} does not apply to --remote fine-tuning`);
  });
}

/** The remote branch of the finetune action. */
export async function finetuneRemote(o: Record<string, any>, cmd: Command): Promise<void> {
  const given = (k: string) => cmd.getOptionValueSource(k) === 'cli';
  if (!remoteProviders().includes(o.remote)) throw new Error(`--remote must be one of ${remoteProviders().join(', ')}, got "${o.remote}"`);
  if (o.task !== 'classify') throw new Error(`--remote fine-tunes classifiers only (--task classify), got --task ${o.task}`);
  const poll = pollIntervalMs(o.pollInterval);
  const range = (name: string, v: number, lo: number, hi: number) => {
    if (!(v >= lo && v <= hi)) throw new Error(`${name} must be from ${lo} to ${hi} with --remote, got ${v}`);
  };
  if (given('epochs')) range('--epochs', o.epochs, 1, 50);
  if (given('batchSize')) range('--batch-size', o.batchSize, 1, 256);
  if (o.lrMultiplier !== undefined && !(o.lrMultiplier > 0 && o.lrMultiplier <= 10)) throw new Error(`--lr-multiplier must be in (0, 10], got ${o.lrMultiplier}`);
  if (given('seed') && o.seed < 0) throw new Error(`--seed must be a non-negative integer, got ${o.seed}`);
  const hyperparameters: RemoteHyperparameters = {
    ...(given('epochs') ? { n_epochs: o.epochs } : {}),
    ...(given('batchSize') ? { batch_size: o.batchSize } : {}),
    ...(o.lrMultiplier !== undefined ? { learning_rate_multiplier: o.lrMultiplier } : {}),
  };
  let base: Partial<PromptProgram> = {};
  if (o.program) {
    try {
      base = await loadPromptProgram(o.program);
    } catch (e) {
      throw new Error(e instanceof Error && e.message.startsWith(o.program) ? e.message : `${o.program}: ${(e as Error).message}`);
    }
    if (base.task !== 'classify') throw new Error(`${o.program}: a ${base.task} program; --remote needs a classification program`);
  }
  if (o.instruction !== undefined) base = { ...base, instruction: o.instruction };
  const given_labels = o.labels !== undefined ? String(o.labels).split(',').map((s) => s.trim()).filter((s) => s) : base.labels;
  const fields: Omit<LoadOptions, 'task'> = {
    textField: o.textField, labelField: o.labelField, ...(o.textPairField ? { textPairField: o.textPairField } : {}),
  };
  // Read and check the data first: file:line errors before anything is sent.
  const train = loadExamples(o.train, { task: 'classify', ...fields, ...(given_labels ? { labels: given_labels } : {}) });
  const dev = o.dev ? loadExamples(o.dev, { task: 'classify', ...fields, labels: train.labels }) : undefined;
  if (train.labels.length < 2) throw new Error(`${o.train}: needs at least two labels, found ${JSON.stringify(train.labels)}`);

  await withDetach(async (signal) => {
    const r = await remoteFinetune({
      base: `${o.remote}:${o.model}`, train: train.examples, ...(dev ? { dev: dev.examples } : {}), labels: train.labels, program: base,
      hyperparameters, ...(o.suffix !== undefined ? { suffix: o.suffix } : {}), ...(given('seed') ? { seed: o.seed } : {}),
      connection: connectionFrom(o), out: o.out, sources: { train: o.train, ...(o.dev ? { dev: o.dev } : {}) },
      follow: !o.detach, pollIntervalMs: poll, signal, quiet: !!o.quiet, command: commandLine(),
    });
    const reused = [r.reused.file ? 'training file reused' : '', r.reused.job ? 'finished job reused' : ''].filter((s) => s).join(', ');
    if (!r.fineTunedModel) {
      console.log(`job ${r.jobId} ${r.job.status}${reused ? ` (${reused})` : ''}; follow it with: tuneshot jobs follow ${r.jobId}`);
      return;
    }
    const use = r.access && 'backend' in r.access ? `use it as ${r.access.backend}` : '';
    console.log(`${r.out ?? o.out}: ${r.provider} fine-tuned ${r.job.model} in job ${r.jobId}${reused ? ` (${reused})` : ''}, ` +
      `${r.trainedTokens ?? '?'} trained tokens, labels ${train.labels.join(', ')}; model ${r.fineTunedModel}${use ? `; ${use}` : ''}`);
  });
}
