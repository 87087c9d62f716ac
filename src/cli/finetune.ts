// `tuneshot finetune`: full, LoRA or head-only fine-tuning of a model folder or embedded model.
// The data files are read and checked before the model is loaded, so a bad row fails fast with
// its file and line, and nothing is written.
import * as path from 'node:path';
import type { Command } from 'commander';
import { finetune, loadExamples, resolveModel, trackRun, type LoadOptions, type Method } from '../index.js';
import { prepareOutputFolder } from '../io/output.js';
import { commandLine, list, num, oneOf } from './args.js';
import { addRemoteOptions, finetuneRemote } from './finetune-remote.js';

interface FinetuneCliOptions {
  /** finetune --remote (./finetune-remote.ts adds its options and checks them). */
  remote?: string;
  model: string;
  train: string;
  dev?: string;
  task: 'classify' | 'generate';
  method: Method;
  out: string;
  overwrite?: boolean;
  epochs: number;
  maxSteps?: number;
  batchSize: number;
  lr?: number;
  loraR: number;
  loraAlpha: number;
  loraDropout: number;
  loraTargets?: string[];
  pooling?: 'cls' | 'mean';
  maxLength: number;
  patience: number;
  textField: string;
  textPairField?: string;
  labelField: string;
  promptField: string;
  completionField: string;
  seed: number;
  quiet?: boolean;
  checkpointEvery?: number;
  resume?: boolean;
  maxMemory?: number;
}

export function registerFinetune(program: Command): void {
  const cmd = program
    .command('finetune')
    .description('fine-tune a model (full, LoRA or head-only) for classification or generation')
    .requiredOption('--model <model>', 'model folder, embedded model (tuneshot-base-encoder, tuneshot-base-lm) or Hub id (distilbert-base-uncased, org/name@revision)')
    .requiredOption('--train <file>', 'training data (JSONL or CSV)')
    .option('--dev <file>', 'development data for model selection and early stopping')
    .option('--task <task>', 'classify or generate', oneOf(['classify', 'generate'] as const), 'classify')
    .option('--method <method>', 'full, lora or head', oneOf(['full', 'lora', 'head'] as const), 'full')
    .requiredOption('--out <folder>', 'output model folder (new, empty, or an earlier fine-tuned model with --overwrite)')
    .option('--overwrite', 'replace an earlier fine-tuned model in --out')
    .option('--epochs <n>', 'epochs', num('epochs'), 3)
    .option('--max-steps <n>', 'optimizer steps (overrides --epochs)', num('maxSteps'))
    .option('--batch-size <n>', 'examples a step', num('batchSize'), 16)
    .option('--lr <x>', 'peak learning rate (default by method: full 1e-4, lora 1e-3, head 3e-3)', num('lr'))
    .option('--lora-r <n>', 'LoRA rank', num('loraR'), 8)
    .option('--lora-alpha <x>', 'LoRA alpha', num('loraAlpha'), 16)
    .option('--lora-dropout <x>', 'LoRA dropout', num('loraDropout'), 0.05)
    .option('--lora-targets <names>', 'comma-separated module names LoRA adapts (default by family, e.g. query,value)', list)
    .option('--pooling <kind>', 'cls or mean (encoders)', oneOf(['cls', 'mean'] as const))
    .option('--max-length <n>', 'tokens an input (longer inputs are truncated)', num('maxLength'), 128)
    .option('--patience <n>', 'dev evaluations without improvement before stopping (0 = never)', num('patience'), 0)
    .option('--text-field <name>', 'field holding the text', 'text')
    .option('--text-pair-field <name>', 'field holding the second text of a pair')
    .option('--label-field <name>', 'field holding the label', 'label')
    .option('--prompt-field <name>', 'field holding the prompt (generate)', 'prompt')
    .option('--completion-field <name>', 'field holding the completion (generate)', 'completion')
    .option('--seed <n>', 'random seed', num('seed'), 0)
    .option('--quiet', 'no progress output')
    .option('--checkpoint-every <n>', 'steps between resumable checkpoints (in <out>.work)', num('checkpointEvery'))
    .option('--resume', 'continue from the last checkpoint in <out>.work')
    .option('--max-memory <GB>', 'refuse to train when the estimated peak memory exceeds this (default: the memory available)', num('maxMemory'))
    .action(async (o: FinetuneCliOptions, self: Command) => {
      if (o.remote !== undefined) return finetuneRemote(o, self);
      const task = o.task;
      const fields: Omit<LoadOptions, 'task'> = {
        textField: o.textField, labelField: o.labelField, promptField: o.promptField, completionField: o.completionField,
        ...(o.textPairField ? { textPairField: o.textPairField } : {}),
      };
      // The output folder and the data are checked first: an error before any model is loaded or file written.
      prepareOutputFolder(o.out, { kind: 'finetune', overwrite: o.overwrite, inputs: [o.train, o.dev, resolveModel(o.model)] });
      const train = loadExamples(o.train, { task, ...fields });
      const dev = o.dev ? loadExamples(o.dev, { task, ...fields, ...(task === 'classify' ? { labels: train.labels } : {}) }) : undefined;
      if (task === 'classify' && train.labels.length < 2) throw new Error(`${o.train}: needs at least two labels, found ${JSON.stringify(train.labels)}`);

      const r = await trackRun('finetune', { command: commandLine(), ...o }, [o.train, ...(o.dev ? [o.dev] : [])], [path.resolve(o.out)], () => finetune({
        model: o.model, train: train.examples, ...(dev ? { dev: dev.examples } : {}), task, method: o.method,
        ...(task === 'classify' ? { labels: train.labels } : {}),
        out: o.out, overwrite: !!o.overwrite, epochs: o.epochs, ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}), batchSize: o.batchSize,
        ...(o.lr !== undefined ? { lr: o.lr } : {}),
        lora: { r: o.loraR, alpha: o.loraAlpha, dropout: o.loraDropout, ...(o.loraTargets ? { targetModules: o.loraTargets } : {}) },
        ...(o.pooling ? { pooling: o.pooling } : {}), maxLength: o.maxLength, patience: o.patience, seed: o.seed, quiet: !!o.quiet,
        ...(o.checkpointEvery !== undefined ? { checkpointEvery: o.checkpointEvery } : {}), resume: !!o.resume,
        ...(o.maxMemory !== undefined ? { maxMemory: o.maxMemory } : {}),
      }), (r) => ({ steps: r.steps, trainSeconds: r.trainSeconds, examplesPerSecond: r.examplesPerSecond, bestDev: r.bestDev, truncated: r.truncated, finalLoss: r.lossCurve.at(-1) }));
      const dev_ = r.bestDev !== undefined ? `, best dev ${task === 'classify' ? `accuracy ${(r.bestDev * 100).toFixed(2)}%` : `score ${r.bestDev.toFixed(4)}`}` : '';
      const loss = r.lossCurve.length ? `, final loss ${r.lossCurve[r.lossCurve.length - 1]!.toFixed(4)}` : '';
      console.log(`${r.out}: ${o.method} ${task}, ${r.steps} steps (${r.epochs.toFixed(2)} epochs), ${r.trainSeconds.toFixed(1)} s, ${r.examplesPerSecond.toFixed(1)} ex/s${loss}${dev_}${task === 'classify' ? `, labels ${r.labels.join(', ')}` : ''}`);
    });
  addRemoteOptions(cmd);
}
