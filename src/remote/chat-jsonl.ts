// Labelled examples as the chat JSONL the fine-tuning jobs API takes, one
// {"messages":[system, user, assistant]} a line, built from the same prompt program the ICL arm
// uses: the user message is the rendered zero-shot prompt, the system message is the one the
// openai backend sends when it scores labels by generation, and the assistant answers with the
// label's verbalizer. So the fine-tuned model, called as openai:<model> through the ICL scorer, is
// asked exactly what it was trained on.
import { createHash } from 'node:crypto';
import type { Example } from '../data/dataset.js';
import { choiceInstruction } from '../icl/backends/openai.js';
import {
  continuationFor, createPromptProgram, queryText, renderPrompt, verbalize, type PromptProgram,
} from '../icl/prompt.js';

export interface ChatLine {
  messages: { role: 'system' | 'user' | 'assistant'; content: string }[];
}

/** compare's ICL instruction, so a remote model and the ICL arm read the same prompt. */
export function defaultInstruction(labels: readonly string[]): string {
  return `Classify the text as one of: ${labels.join(', ')}.`;
}

/**
 * The zero-shot classification program a remote model is trained and evaluated with: `base`
 * (e.g. a saved prompt.json) for template, instruction and verbalizers, without demonstrations or
 * calibration, which a fine-tuned model does not use. Without an instruction, compare's default.
 */
export function remotePromptProgram(labels: string[], base: Partial<PromptProgram> = {}): PromptProgram {
  const { demonstrations: _d, ...rest } = base;
  return createPromptProgram({
    ...rest,
    task: 'classify',
    labels,
    // A given program's instruction is kept as it is, even empty: the prompt must be the ICL arm's.
    instruction: base.instruction ?? defaultInstruction(labels),
    k: 0,
    calibrate: false,
  });
}

/** The answer choices the ICL scorer lists (every verbalizer word, as it trims the continuations). */
export function labelChoices(program: PromptProgram): string[] {
  return program.labels.flatMap((l) => verbalize(program, l)).map((w) => continuationFor(program, w).trim());
}

export function toChatLine(program: PromptProgram, ex: Example): ChatLine {
  return {
    messages: [
      { role: 'system', content: choiceInstruction(labelChoices(program)) },
      { role: 'user', content: renderPrompt(program, [], queryText(ex)) },
      { role: 'assistant', content: verbalize(program, ex.label ?? '')[0]! },
    ],
  };
}

export interface ValidateOptions {
  /** "training" or "validation", for messages. */
  what: string;
  /** File the examples came from, for messages. */
  source?: string;
  /** The provider's minimum (training data only). */
  minExamples?: number;
  provider?: string;
}

/** Throws a one-line error on the first example the provider would refuse or the scorer could not use. */
export function validateRemoteExamples(program: PromptProgram, examples: readonly Example[], o: ValidateOptions): void {
  const where = o.source ?? `${o.what} data`;
  const labels = new Set(program.labels);
  examples.forEach((ex, i) => {
    const at = `${where}: ${o.what} example ${i + 1}`;
    if (typeof ex.text !== 'string' || ex.text.trim() === '') throw new Error(`${at}: empty text`);
    if (ex.textPair !== undefined && ex.textPair.trim() === '') throw new Error(`${at}: empty text pair`);
    if (ex.label === undefined || ex.label === '') throw new Error(`${at}: no label`);
    if (!labels.has(ex.label)) throw new Error(`${at}: label ${JSON.stringify(ex.label)} is not in the label set ${JSON.stringify(program.labels)}`);
  });
  if (o.minExamples !== undefined && examples.length < o.minExamples) {
    throw new Error(`${where}: ${examples.length} ${o.what} example${examples.length === 1 ? '' : 's'}; ${o.provider ?? 'the provider'} fine-tuning needs at least ${o.minExamples}`);
  }
}

/** The JSONL bytes (one line an example, "\n"-terminated) and their sha256. */
export function chatJsonl(program: PromptProgram, examples: readonly Example[]): { content: Buffer; sha256: string } {
  const content = Buffer.from(examples.map((ex) => `${JSON.stringify(toChatLine(program, ex))}\n`).join(''), 'utf8');
  return { content, sha256: createHash('sha256').update(content).digest('hex') };
}
