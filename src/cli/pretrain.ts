// `tuneshot pretrain`: a base model from scratch (masked LM for encoders, causal LM for decoders), or
// continued from one (--init), e.g. on in-context episodes (--objective icl-episodes).
import * as path from 'node:path';
import type { Command } from 'commander';
import { corpusPath, pretrain, trackRun } from '../index.js';
import { commandLine, num, oneOf } from './args.js';

interface PretrainCliOptions {
  objective: 'mlm' | 'clm' | 'icl-episodes';
  init?: string;
  clmMix: number;
  episodeLoss: 'all' | 'query';
  corpus: string[];
  textField: string;
  out: string;
  overwrite?: boolean;
  tokenizer?: string;
  size?: string;
  config?: string;
  vocabSize: number;
  seqLen: number;
  batchSize: number;
  accumulate: number;
  steps: number;
  lr: number;
  warmup?: number;
  schedule: 'linear' | 'cosine' | 'constant';
  wholeWordMask?: boolean;
  checkpointEvery: number;
  resume?: boolean;
  seed: number;
  quiet?: boolean;
}

export function registerPretrain(program: Command): void {
  program
    .command('pretrain')
    .description('pre-train a transformer from scratch (masked LM for encoders, causal LM for decoders)')
    .requiredOption('--objective <mlm|clm|icl-episodes>', 'mlm (encoder), clm (decoder) or icl-episodes (a decoder on in-context classification episodes)', oneOf(['mlm', 'clm', 'icl-episodes'] as const))
    .option('--init <model>', 'continue from this model (folder, embedded model or Hub id) with its tokenizer, instead of a fresh initialisation')
    .option('--clm-mix <x>', 'icl-episodes: share of each batch that is plain causal-LM text of the corpus', num('clmMix'), 0.25)
    .option('--episode-loss <all|query>', 'icl-episodes: loss on every demonstration label and the query label, or the query label only', oneOf(['all', 'query'] as const), 'all')
    .option('--corpus <paths...>', 'text files, folders or .jsonl files; "builtin" for the built-in English corpus', ['builtin'])
    .option('--text-field <name>', 'field holding the text in .jsonl corpora', 'text')
    .requiredOption('--out <folder>', 'output model folder (new, empty, or an earlier pre-trained model with --overwrite)')
    .option('--overwrite', 'replace an earlier pre-trained model in --out')
    .option('--tokenizer <model>', 'use this tokenizer (a folder, embedded model or Hub id) instead of training one on the corpus')
    .option('--size <name>', 'named architecture (bert-nano, bert-mini, bert-small, llama-nano, llama-mini, gpt2-mini)')
    .option('--config <config.json>', 'architecture from a Hugging Face config.json')
    .option('--vocab-size <n>', 'tokenizer vocabulary size', num('vocabSize'), 8192)
    .option('--seq-len <n>', 'tokens a sequence', num('seqLen'), 128)
    .option('--batch-size <n>', 'sequences a micro-batch', num('batchSize'), 32)
    .option('--accumulate <n>', 'micro-batches a step (gradient accumulation)', num('accumulate'), 1)
    .requiredOption('--steps <n>', 'optimizer steps', num('steps'))
    .option('--lr <x>', 'peak learning rate', num('lr'), 1e-3)
    .option('--warmup <n>', 'warmup steps (default 6% of steps)', num('warmup'))
    .option('--schedule <kind>', 'linear, cosine or constant', oneOf(['linear', 'cosine', 'constant'] as const), 'linear')
    .option('--whole-word-mask', 'mask whole words (WordPiece continuation pieces follow their word)')
    .option('--checkpoint-every <n>', 'steps between checkpoints', num('checkpointEvery'), 200)
    .option('--resume', 'continue from the last checkpoint')
    .option('--seed <n>', 'random seed', num('seed'), 0)
    .option('--quiet', 'no progress output')
    .action(async (o: PretrainCliOptions) => {
      const corpus: string[] = [];
      for (const c of o.corpus) corpus.push(c === 'builtin' ? await corpusPath() : c);
      const command = commandLine();
      const r = await trackRun('pretrain', { command, ...o }, corpus, [path.resolve(o.out)], () => pretrain({
        objective: o.objective, ...(o.init ? { init: o.init } : {}), clmMix: o.clmMix, episodeLoss: o.episodeLoss, corpus, textField: o.textField, out: o.out, overwrite: !!o.overwrite, tokenizer: o.tokenizer, size: o.size, configPath: o.config, vocabSize: o.vocabSize,
        seqLen: o.seqLen, batchSize: o.batchSize, accumulate: o.accumulate, steps: o.steps, lr: o.lr, warmupSteps: o.warmup,
        schedule: o.schedule, wholeWordMask: !!o.wholeWordMask, checkpointEvery: o.checkpointEvery, resume: !!o.resume, seed: o.seed,
        quiet: !!o.quiet, command,
      }), (r) => ({ steps: r.steps, tokensSeen: r.tokensSeen, wallSeconds: r.wallSeconds, params: r.params, heldOut: r.heldOut }));
      const metric = r.heldOut.accuracy !== undefined ? `held-out masked accuracy ${(r.heldOut.accuracy * 100).toFixed(2)}%` : `held-out perplexity ${r.heldOut.perplexity?.toFixed(2)}`;
      console.log(`${r.out}: ${r.steps} steps, ${r.tokensSeen} tokens, ${(r.wallSeconds / 60).toFixed(1)} min, ${metric}`);
    });
}
