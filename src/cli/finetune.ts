// `tuneshot finetune`: full, LoRA or head-only fine-tuning of a model folder or embedded model.
// The data files are read and checked before the model is loaded, so a bad row fails fast with
// its file and line, and nothing is written.
import { trackRun } from '../registry/track.js';
import * as path from 'node:path';
import type { Command } from 'commander';
import { loadExamples, type LoadOptions } from '../data/dataset.js';
import { finetune } from '../train/finetune.js';
import { commandLine, float, int } from './main.js';
import { addRemoteOptions, finetuneRemote } from './finetune-remote.js';

const list = (v: string) => v.split(',').map((s) => s.trim()).filter((s) => s.length > 0);

export function registerFinetune(program: Command): void {
  const cmd = program
    .command('finetune')
    .description('fine-tune a model (full, LoRA or head-only) for classification or generation')
    .requiredOption('--model <model>', 'model folder, embedded model (tuneshot-base-encoder, tuneshot-base-lm) or Hub id (distilbert-base-uncased, org/name@revision)')
    .requiredOption('--train <file>', 'training data (JSONL or CSV)')
    .option('--dev <file>', 'development data for model selection and early stopping')
    .option('--task <task>', 'classify or generate', 'classify')
    .option('--method <method>', 'full, lora or head', 'full')
    .requiredOption('--out <folder>', 'output model folder')
    .option('--epochs <n>', 'epochs', int, 3)
    .option('--max-steps <n>', 'optimizer steps (overrides --epochs)', int)
    .option('--batch-size <n>', 'examples a step', int, 16)
    .option('--lr <x>', 'peak learning rate (default by method: full 1e-4, lora 1e-3, head 3e-3)', float)
    .option('--lora-r <n>', 'LoRA rank', int, 8)
    .option('--lora-alpha <x>', 'LoRA alpha', float, 16)
    .option('--lora-dropout <x>', 'LoRA dropout', float, 0.05)
    .option('--lora-targets <names>', 'comma-separated module names LoRA adapts (default by family, e.g. query,value)', list)
    .option('--pooling <kind>', 'cls or mean (encoders)')
    .option('--max-length <n>', 'tokens an input (longer inputs are truncated)', int, 128)
    .option('--patience <n>', 'dev evaluations without improvement before stopping (0 = never)', int, 0)
    .option('--text-field <name>', 'field holding the text', 'text')
    .option('--text-pair-field <name>', 'field holding the second text of a pair')
    .option('--label-field <name>', 'field holding the label', 'label')
    .option('--prompt-field <name>', 'field holding the prompt (generate)', 'prompt')
    .option('--completion-field <name>', 'field holding the completion (generate)', 'completion')
    .option('--seed <n>', 'random seed', int, 0)
    .option('--quiet', 'no progress output')
    .option('--checkpoint-every <n>', 'steps between resumable checkpoints (in <out>.work)', int)
    .option('--resume', 'continue from the last checkpoint in <out>.work')
    .action(async (o, self: Command) => {
      if (o.remote !== undefined) return finetuneRemote(o, self);
      const task = o.task as 'classify' | 'generate';
      if (task !== 'classify' && task !== 'generate') throw new Error(`--task must be classify or generate, got "${o.task}"`);
      if (!['full', 'lora', 'head'].includes(o.method)) throw new Error(`--method must be full, lora or head, got "${o.method}"`);
      if (o.pooling !== undefined && o.pooling !== 'cls' && o.pooling !== 'mean') throw new Error(`--pooling must be cls or mean, got "${o.pooling}"`);
      const fields: Omit<LoadOptions, 'task'> = {
        textField: o.textField, labelField: o.labelField, promptField: o.promptField, completionField: o.completionField,
        ...(o.textPairField ? { textPairField: o.textPairField } : {}),
      };
      // Read and check the data first (file:line errors before any model is loaded or file written).
      const train = loadExamples(o.train, { task, ...fields });
      const dev = o.dev ? loadExamples(o.dev, { task, ...fields, ...(task === 'classify' ? { labels: train.labels } : {}) }) : undefined;
      if (task === 'classify' && train.labels.length < 2) throw new Error(`${o.train}: needs at least two labels, found ${JSON.stringify(train.labels)}`);

      const r = await trackRun('finetune', { command: commandLine(), ...o }, [o.train, ...(o.dev ? [o.dev] : [])], [path.resolve(o.out)], () => finetune({
        model: o.model, train: train.examples, ...(dev ? { dev: dev.examples } : {}), task, method: o.method,
        ...(task === 'classify' ? { labels: train.labels } : {}),
        out: o.out, epochs: o.epochs, ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}), batchSize: o.batchSize,
        ...(o.lr !== undefined ? { lr: o.lr } : {}),
        lora: { r: o.loraR, alpha: o.loraAlpha, dropout: o.loraDropout, ...(o.loraTargets ? { targetModules: o.loraTargets } : {}) },
        ...(o.pooling ? { pooling: o.pooling } : {}), maxLength: o.maxLength, patience: o.patience, seed: o.seed, quiet: !!o.quiet,
        ...(o.checkpointEvery !== undefined ? { checkpointEvery: o.checkpointEvery } : {}), resume: !!o.resume,
      }), (r) => ({ steps: r.steps, trainSeconds: r.trainSeconds, examplesPerSecond: r.examplesPerSecond, bestDev: r.bestDev, truncated: r.truncated, finalLoss: r.lossCurve.at(-1) }));
      const dev_ = r.bestDev !== undefined ? `, best dev ${task === 'classify' ? `accuracy ${(r.bestDev * 100).toFixed(2)}%` : `score ${r.bestDev.toFixed(4)}`}` : '';
      const loss = r.lossCurve.length ? `, final loss ${r.lossCurve[r.lossCurve.length - 1]!.toFixed(4)}` : '';
      console.log(`${r.out}: ${o.method} ${task}, ${r.steps} steps (${r.epochs.toFixed(2)} epochs), ${r.trainSeconds.toFixed(1)} s, ${r.examplesPerSecond.toFixed(1)} ex/s${loss}${dev_}${task === 'classify' ? `, labels ${r.labels.join(', ')}` : ''}`);
    });
  addRemoteOptions(cmd);
}
