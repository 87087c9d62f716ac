// A saved prompt program (prompt.json) as a Classifier: the program plus the language model it
// was evaluated with. `tuneshot icl --save-program` records that model as a "backend" spec
// ("builtin:tuneshot-base-lm", "openai:gpt-4o-mini", "llamacpp:model.gguf") beside the program;
// a caller may override it.
import { readFile } from 'node:fs/promises';
import type { Classifier } from '../predictor.js';
import { IclClassifier } from './classify.js';
import { createLanguageModel, parseBackendSpec } from './backends/index.js';
import { withCache } from './cache.js';
import type { LanguageModel } from './language-model.js';
import { createPromptProgram, savePromptProgram, validatePromptProgram, type PromptProgram } from './prompt.js';

export interface LoadProgramOptions {
  /** "<backend>:<model>" overriding the one recorded in the file. */
  backend?: string;
  /** Options merged into the backend spec (baseURL, apiKey, ...). */
  backendOptions?: Record<string, unknown>;
  /** Use the response cache (default false: served answers are computed). */
  cache?: boolean;
  /** Classifier id; default "icl:<backend spec>". */
  id?: string;
}

export interface ProgramClassifier extends Classifier {
  readonly program: PromptProgram;
  readonly lm: LanguageModel;
}

/** True when the file parses as a prompt program (a JSON object with template and task). */
export async function isPromptProgramFile(file: string): Promise<boolean> {
  try {
    const raw = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    return raw !== null && typeof raw === 'object' && typeof raw['template'] === 'string' && raw['version'] === 1;
  } catch {
    return false;
  }
}

/** The backend spec recorded in a prompt.json, if any. */
export async function programBackend(file: string): Promise<string | undefined> {
  const raw = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  return typeof raw['backend'] === 'string' ? raw['backend'] : undefined;
}

/** Write a program with the backend it was evaluated on (read back by loadProgramClassifier). */
export async function saveProgramWithBackend(file: string, program: PromptProgram, backend: string): Promise<void> {
  validatePromptProgram(program);
  parseBackendSpec(backend);
  await savePromptProgram(file, { ...program, backend } as PromptProgram);
}

/** Load prompt.json and its language model as one Classifier (dispose() frees the model). */
export async function loadProgramClassifier(file: string, options: LoadProgramOptions = {}): Promise<ProgramClassifier> {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file}: cannot read prompt program (${(e as Error).message})`);
  }
  const { backend: recorded, ...rest } = raw;
  let program: PromptProgram;
  try {
    program = createPromptProgram(rest as Partial<PromptProgram>);
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  if (program.task !== 'classify') throw new Error(`${file}: a ${program.task} program cannot be served as a classifier`);
  const spec = options.backend ?? (typeof recorded === 'string' ? recorded : undefined);
  if (!spec) throw new Error(`${file}: no "backend" recorded in the program; give one (e.g. builtin:tuneshot-base-lm)`);
  const s = parseBackendSpec(spec);
  let lm = await createLanguageModel({ ...s, ...(options.backendOptions ?? {}) });
  if (options.cache) lm = withCache(lm);
  const clf = new IclClassifier({ lm, program, id: options.id ?? `icl:${spec}` });
  return Object.assign(clf, { dispose: async () => { await lm.dispose?.(); } }) as ProgramClassifier;
}
