// The folder a successful remote fine-tuning job leaves behind, so the model answers the same
// `predict` interface as a local one: prompt.json (the zero-shot program it was trained on, with
// its backend "openai:<fine_tuned_model>"), remote.json (provider, endpoint, base model, job id,
// trained tokens, data hash) and README.md (the model card). Written atomically (a temporary
// sibling, then a rename); an existing folder is only replaced when it is one tuneshot wrote.
import { existsSync, readFileSync } from 'node:fs';
import { writeFileSynced } from '../io/atomic.js';
import { prepareOutputFolder, writeOutputFolder, type OutputOptions } from '../io/output.js';
import * as path from 'node:path';
import { loadProgramClassifier, type ProgramClassifier } from '../icl/load-program.js';
import type { PromptProgram } from '../icl/prompt.js';
import type { RemoteHyperparameters, RemoteJob } from './finetuner.js';

export const REMOTE_CARD_FORMAT = 'tuneshot-remote-model';

/** How a fine-tuned model is called: an ICL backend spec and its options, or why it cannot be yet. */
export type ModelAccess =
  | { backend: string; backendOptions: { baseURL?: string; scoring: 'generate' } }
  | { unavailable: string };

export interface RemoteCard {
  format: typeof REMOTE_CARD_FORMAT;
  version: 1;
  provider: string;
  endpoint: string;
  settings: Record<string, string>;
  baseModel: string;
  fineTunedModel: string;
  jobId: string;
  trainedTokens: number | null;
  /** As the provider resolved them. */
  hyperparameters: RemoteHyperparameters;
  /** As requested (absent = the provider's choice). */
  requested: { hyperparameters: RemoteHyperparameters; suffix?: string; seed?: number };
  labels: string[];
  /** The prompt's instruction (also in prompt.json), which `icl` must be given to ask the same. */
  instruction?: string;
  examples: { train: number; dev: number };
  trainingFile: string;
  validationFile: string | null;
  dataHash: string;
  access: ModelAccess;
  command?: string;
  createdAt: string;
}

/**
 * Throws unless `out` is free (src/io/output.ts): missing, an empty folder, or a remote model folder
 * tuneshot wrote (a followed job writes its card into its own folder, like a resumed run).
 */
export function checkCardOut(out: string): void {
  prepareOutputFolder(out, CARD_OUTPUT);
}

const CARD_OUTPUT: OutputOptions = { kind: 'remote-finetune', resume: true };

export function isRemoteModelFolder(dir: string): boolean {
  try {
    const raw = JSON.parse(readFileSync(path.join(dir, 'remote.json'), 'utf8')) as { format?: unknown };
    return raw.format === REMOTE_CARD_FORMAT && existsSync(path.join(dir, 'prompt.json'));
  } catch {
    return false;
  }
}

export function readRemoteCard(dir: string): RemoteCard {
  const file = path.join(dir, 'remote.json');
  let raw: RemoteCard;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as RemoteCard;
  } catch (e) {
    throw new Error(`${file}: cannot read (${(e as Error).message})`);
  }
  if (raw.format !== REMOTE_CARD_FORMAT) throw new Error(`${file}: not a tuneshot remote model card`);
  return raw;
}

function instructionOf(c: RemoteCard): string {
  return c.instruction ?? '';
}

function readme(c: RemoteCard): string {
  const hp = Object.entries(c.hyperparameters).map(([k, v]) => `${k}=${String(v)}`).join(', ') || 'provider defaults';
  const use = 'backend' in c.access
    ? [
      '```sh',
      `tuneshot predict --model ${'<this folder>'} --data new.jsonl            # through the ${c.access.backend.split(':')[0]} backend`,
      `tuneshot icl --backend openai --model ${c.fineTunedModel} --k 0 --instruction ${JSON.stringify(instructionOf(c))} --demos train.jsonl --data test.jsonl${c.access.backendOptions.baseURL ? ` --base-url ${c.access.backendOptions.baseURL}` : ''}`,
      `tuneshot compare ... --icl ${c.access.backend} --budgets 0    # with OPENAI_BASE_URL=${c.access.backendOptions.baseURL ?? 'https://api.openai.com/v1'}`,
      '```',
    ].join('\n')
    : c.access.unavailable;
  return `# ${c.fineTunedModel}

A text classifier fine-tuned remotely by ${c.provider} (${c.endpoint}) from \`${c.baseModel}\` with tuneshot.

| | |
|---|---|
| provider job | ${c.jobId} |
| base model | ${c.baseModel} |
| fine-tuned model | ${c.fineTunedModel} |
| trained tokens | ${c.trainedTokens ?? 'not reported'} |
| hyperparameters | ${hp} |
| labels | ${c.labels.join(', ')} |
| examples | ${c.examples.train} training, ${c.examples.dev} validation |
| data hash (sha256 over the training and validation JSONL sent) | ${c.dataHash} |
| created | ${c.createdAt} |

The training examples were sent to the provider as chat messages: the system message lists the
label words, the user message is the zero-shot prompt of \`prompt.json\`, the assistant message is
the label word. The model is called the same way, so it is asked exactly what it was trained on.
The provider keeps the training file and the model until they are deleted there.

## Use

${use}

${c.command ? `Made with: \`${c.command}\`\n` : ''}`;
}

/** Writes the model card folder atomically (src/io/output.ts); returns its absolute path. */
export async function writeRemoteCard(out: string, card: RemoteCard, program: PromptProgram): Promise<string> {
  const prompt = 'backend' in card.access ? { ...program, backend: card.access.backend } : program;
  return writeOutputFolder(out, CARD_OUTPUT, async (tmp) => {
    await writeFileSynced(path.join(tmp, 'prompt.json'), `${JSON.stringify(prompt, null, 2)}\n`);
    await writeFileSynced(path.join(tmp, 'remote.json'), `${JSON.stringify(card, null, 2)}\n`);
    await writeFileSynced(path.join(tmp, 'README.md'), readme(card));
  });
}

/** The model card as a Classifier through the ICL scorer (dispose() frees it). */
export async function loadRemoteClassifier(dir: string): Promise<ProgramClassifier> {
  const card = readRemoteCard(dir);
  if (!('backend' in card.access)) throw new Error(`${dir}: ${card.access.unavailable}`);
  return loadProgramClassifier(path.join(dir, 'prompt.json'), {
    backend: card.access.backend,
    backendOptions: { ...card.access.backendOptions },
    id: `remote:${card.access.backend}`,
  });
}

export function cardJob(job: RemoteJob): Pick<RemoteCard, 'jobId' | 'fineTunedModel' | 'trainedTokens' | 'hyperparameters' | 'trainingFile' | 'validationFile' | 'baseModel'> {
  return {
    jobId: job.id, fineTunedModel: job.fineTunedModel ?? '', trainedTokens: job.trainedTokens, hyperparameters: job.hyperparameters,
    trainingFile: job.trainingFile, validationFile: job.validationFile, baseModel: job.model,
  };
}
