// Prompt programs: a Jinja template over `instruction`, `demonstrations` [{text, label}] and
// `query`, label verbalizers, demonstration selection settings and calibration, serializable as
// prompt.json so `serve` can serve exactly what was evaluated.

import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../io/atomic.js';
import { Template } from '@huggingface/jinja';
import type { Example } from '../data/dataset.js';

export type SelectionMethod = 'random' | 'balanced' | 'knn';
export type DemoOrder = 'random' | 'similar-last';
export type IclTask = 'classify' | 'generate';

export interface SelectionSettings {
  method: SelectionMethod;
  order: DemoOrder;
  seed: number;
}

export interface PromptProgram {
  version: 1;
  task: IclTask;
  /** Jinja template; variables: instruction, demonstrations [{text, label}], query. */
  template: string;
  instruction: string;
  /** Closed label set (classify), in order. */
  labels: string[];
  /** label → word(s); the first word is used in demonstrations, all are alternatives when scoring. */
  verbalizers: Record<string, string | string[]>;
  k: number;
  selection: SelectionSettings;
  calibrate: boolean;
  /** Rank by the summed label log-likelihood or its per-token mean. */
  scoring: 'sum' | 'mean';
  /** Wrap the rendered prompt in the model's chat template (instruct models). */
  useChatTemplate: boolean;
  /** The demonstration pool, so a saved program can be served as is. */
  demonstrations?: Example[];
}

export const DEFAULT_CLASSIFY_TEMPLATE = `{% if instruction %}{{ instruction }}

{% endif %}{% for d in demonstrations %}Input: {{ d.text }}
Label: {{ d.label }}

{% endfor %}Input: {{ query }}
Label:`;

export const DEFAULT_GENERATE_TEMPLATE = `{% if instruction %}{{ instruction }}

{% endif %}{% for d in demonstrations %}Q: {{ d.text }}
A: {{ d.label }}

{% endfor %}Q: {{ query }}
A:`;

export function defaultVerbalizers(labels: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of labels) out[l] = l.toLowerCase();
  return out;
}

export function createPromptProgram(options: Partial<PromptProgram> & { labels?: string[]; task?: IclTask }): PromptProgram {
  const task = options.task ?? 'classify';
  const labels = options.labels ?? [];
  const program: PromptProgram = {
    version: 1,
    task,
    template: options.template ?? (task === 'classify' ? DEFAULT_CLASSIFY_TEMPLATE : DEFAULT_GENERATE_TEMPLATE),
    instruction: options.instruction ?? '',
    labels,
    verbalizers: { ...defaultVerbalizers(labels), ...(options.verbalizers ?? {}) },
    k: options.k ?? 4,
    selection: { method: 'balanced', order: 'random', seed: 0, ...(options.selection ?? {}) },
    calibrate: options.calibrate ?? false,
    scoring: options.scoring ?? 'sum',
    useChatTemplate: options.useChatTemplate ?? false,
  };
  if (options.demonstrations) program.demonstrations = options.demonstrations;
  validatePromptProgram(program);
  return program;
}

export function validatePromptProgram(p: PromptProgram): void {
  if (p.version !== 1) throw new Error(`unsupported prompt program version ${String(p.version)}`);
  if (p.task !== 'classify' && p.task !== 'generate') throw new Error(`unknown task "${String(p.task)}"`);
  if (typeof p.template !== 'string' || p.template.length === 0) throw new Error('prompt program has no template');
  new Template(p.template); // parse errors surface here
  if (!Number.isInteger(p.k) || p.k < 0) throw new Error(`k must be a non-negative integer, got ${p.k}`);
  if (!['random', 'balanced', 'knn'].includes(p.selection.method)) throw new Error(`unknown selection "${p.selection.method}"`);
  if (!['random', 'similar-last'].includes(p.selection.order)) throw new Error(`unknown order "${p.selection.order}"`);
  if (p.task === 'classify') {
    if (p.labels.length < 2) throw new Error('a classification prompt program needs at least two labels');
    for (const l of p.labels) {
      const v = verbalize(p, l);
      if (v.length === 0 || v.some((w) => w.length === 0)) throw new Error(`label "${l}" has an empty verbalizer`);
    }
  }
}

/** The word(s) of a label (at least one). */
export function verbalize(p: Pick<PromptProgram, 'verbalizers'>, label: string): string[] {
  const v = p.verbalizers[label] ?? label.toLowerCase();
  return Array.isArray(v) ? v : [v];
}

export function queryText(ex: { text: string; textPair?: string | undefined }): string {
  return ex.textPair !== undefined && ex.textPair !== '' ? `${ex.text}\n${ex.textPair}` : ex.text;
}

const templateCache = new Map<string, Template>();
function compiled(src: string): Template {
  let t = templateCache.get(src);
  if (!t) {
    t = new Template(src);
    templateCache.set(src, t);
  }
  return t;
}

export interface RenderOptions {
  /** The model's chat template; used when the program says useChatTemplate. */
  chatTemplate?: string | undefined;
  bosToken?: string;
  eosToken?: string;
}

/**
 * The prompt text for a query after the given demonstrations (demonstration labels are verbalized
 * here; for generation, the demonstration's completion is its "label").
 */
export function renderPrompt(p: PromptProgram, demos: readonly Example[], query: string, options: RenderOptions = {}): string {
  const demonstrations = demos.map((d) => ({
    text: p.task === 'generate' ? (d.prompt ?? d.text) : queryText(d),
    label: p.task === 'generate' ? (d.completion ?? d.label ?? '') : verbalize(p, d.label ?? '')[0]!,
  }));
  const body = compiled(p.template).render({ instruction: p.instruction, demonstrations, query });
  if (p.useChatTemplate && options.chatTemplate) {
    return applyChatTemplate(options.chatTemplate, [{ role: 'user', content: body }], {
      addGenerationPrompt: true,
      ...(options.bosToken !== undefined ? { bosToken: options.bosToken } : {}),
      ...(options.eosToken !== undefined ? { eosToken: options.eosToken } : {}),
    });
  }
  return body;
}

/**
 * Text scored/appended after the prompt for a verbalized answer: after a plain template ending in
 * "Label:" a space goes first; after a chat template's generation prompt, nothing.
 */
export function continuationFor(p: PromptProgram, word: string, options: RenderOptions = {}): string {
  return p.useChatTemplate && options.chatTemplate ? word : ` ${word}`;
}

export interface ChatMessage {
  role: string;
  content: string;
}

export function applyChatTemplate(
  template: string,
  messages: readonly ChatMessage[],
  options: { addGenerationPrompt?: boolean; bosToken?: string; eosToken?: string } = {},
): string {
  return compiled(template).render({
    messages: messages.map((m) => ({ role: m.role, content: m.content })),
    add_generation_prompt: options.addGenerationPrompt ?? true,
    bos_token: options.bosToken ?? '',
    eos_token: options.eosToken ?? '',
  });
}

/** Role-prefixed chat format for models without a chat template. Generation should stop at "\nUser:". */
export function simpleChatFormat(messages: readonly ChatMessage[]): string {
  const name = (r: string) => (r === 'system' ? 'System' : r === 'assistant' ? 'Assistant' : 'User');
  return `${messages.map((m) => `${name(m.role)}: ${m.content}`).join('\n')}\nAssistant:`;
}

export async function savePromptProgram(path: string, program: PromptProgram): Promise<void> {
  validatePromptProgram(program);
  await writeFileAtomic(path, `${JSON.stringify(program, null, 2)}\n`);
}

export async function loadPromptProgram(path: string): Promise<PromptProgram> {
  const raw = JSON.parse(await readFile(path, 'utf8')) as Partial<PromptProgram>;
  if (raw === null || typeof raw !== 'object') throw new Error(`${path}: not a prompt program`);
  const program = createPromptProgram(raw);
  return program;
}
