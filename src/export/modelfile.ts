// An Ollama Modelfile for an exported GGUF: FROM the file, the chat template as the Go template
// Ollama expects, the stop tokens and the context length.
//
// Hugging Face chat templates are Jinja; Ollama's are Go templates. Rather than translate Jinja,
// the template is rendered (with @huggingface/jinja, as transformers.js does) on conversations of
// marker strings, which reveals the text each role's message is wrapped in; those wrappers become a
// Go template over .Messages. The result is checked by rendering two other conversations both ways:
// a template that is not "a fixed wrapper per role" (e.g. one that folds the system prompt into the
// first user turn) fails the check and the Modelfile leaves TEMPLATE out, so that Ollama falls back
// to the chat template stored in the GGUF.
import { Template } from '@huggingface/jinja';

export interface ModelfileInput {
  /** File name of the GGUF, relative to the Modelfile. */
  gguf: string;
  chatTemplate?: string;
  bosToken?: string;
  eosToken?: string;
  /** Whether llama.cpp adds BOS itself (tokenizer.ggml.add_bos_token). */
  addBos: boolean;
  /** Special tokens of the vocabulary (stop candidates). */
  specialTokens: string[];
  contextLength: number;
}

interface Wrappers {
  prefix: string;
  system: [string, string];
  user: [string, string];
  assistant: [string, string];
  generation: string;
}

type Message = { role: 'system' | 'user' | 'assistant'; content: string };

const MARK = { S: 'QXSYSTEMMARKQX', U1: 'QXUSERONEQX', A1: 'QXASSISTANTONEQX', U2: 'QXUSERTWOQX' };

function between(text: string, a: string | null, b: string | null): string {
  const i = a === null ? 0 : text.indexOf(a);
  if (i < 0) throw new Error(`marker ${a} not rendered`);
  const from = a === null ? 0 : i + a.length;
  const j = b === null ? text.length : text.indexOf(b, from);
  if (j < 0) throw new Error(`marker ${b} not rendered`);
  return text.slice(from, j);
}

function stripPrefix(s: string, p: string): string {
  if (!s.startsWith(p)) throw new Error('wrappers do not line up');
  return s.slice(p.length);
}
function stripSuffix(s: string, p: string): string {
  if (!s.endsWith(p)) throw new Error('wrappers do not line up');
  return s.slice(0, s.length - p.length);
}

/** Per-role wrappers of a chat template, or undefined when it has none (see the file comment). */
export function chatWrappers(template: string, bosToken = '', eosToken = ''): Wrappers | undefined {
  const t = new Template(template);
  const render = (messages: Message[], gen: boolean) => t.render({ messages, add_generation_prompt: gen, bos_token: bosToken, eos_token: eosToken });
  try {
    const u1: Message = { role: 'user', content: MARK.U1 }, a1: Message = { role: 'assistant', content: MARK.A1 }, u2: Message = { role: 'user', content: MARK.U2 };
    const r1 = render([u1], false), r2 = render([u1, a1], false), r3 = render([u1], true), r5 = render([u1, a1, u2], false);
    const r4 = render([{ role: 'system', content: MARK.S }, u1], false);
    const userSuffix = between(r1, MARK.U1, null);
    const assistantSuffix = between(r2, MARK.A1, null);
    const assistantPrefix = stripPrefix(between(r2, MARK.U1, MARK.A1), userSuffix);
    const generation = stripPrefix(between(r3, MARK.U1, null), userSuffix);
    const userPrefix = stripPrefix(between(r5, MARK.A1, MARK.U2), assistantSuffix);
    const prefix = stripSuffix(between(r1, null, MARK.U1), userPrefix);
    const systemPrefix = stripPrefix(between(r4, null, MARK.S), prefix);
    const systemSuffix = stripSuffix(between(r4, MARK.S, MARK.U1), userPrefix);
    const w: Wrappers = { prefix, system: [systemPrefix, systemSuffix], user: [userPrefix, userSuffix], assistant: [assistantPrefix, assistantSuffix], generation };
    // The check: two conversations the wrappers were not derived from.
    const checks: Message[][] = [
      [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello.' }, { role: 'user', content: 'Bye' }],
      [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: 'c' }, { role: 'assistant', content: 'd' }, { role: 'user', content: 'e' }],
    ];
    for (const c of checks) if (render(c, true) !== applyWrappers(w, c)) return undefined;
    return w;
  } catch {
    return undefined; // the template raised (e.g. on a role order it rejects) or the markers did not line up
  }
}

/** What the Go template built from `w` renders for `messages` (with the generation prompt). */
export function applyWrappers(w: Wrappers, messages: Message[]): string {
  return w.prefix + messages.map((m) => w[m.role][0] + m.content + w[m.role][1]).join('') + w.generation;
}

/** The Go template Ollama runs; `dropPrefix` when the prefix is the BOS token llama.cpp adds itself. */
export function goTemplate(w: Wrappers, dropPrefix: boolean): string {
  const role = (r: 'system' | 'user' | 'assistant') => `${w[r][0]}{{ .Content }}${w[r][1]}`;
  return `${dropPrefix ? '' : w.prefix}{{ range .Messages }}{{ if eq .Role "system" }}${role('system')}{{ else if eq .Role "user" }}${role('user')}{{ else if eq .Role "assistant" }}${role('assistant')}{{ end }}{{ end }}${w.generation}`;
}

const quote = (s: string) => JSON.stringify(s);

export function ollamaModelfile(m: ModelfileInput): { text: string; warnings: string[] } {
  const warnings: string[] = [];
  const lines = [`# Ollama Modelfile written by tuneshot export: ollama create <name> -f Modelfile`, `FROM ./${m.gguf}`];
  const stops = new Set<string>();
  if (m.eosToken) stops.add(m.eosToken);
  if (m.chatTemplate) {
    const w = chatWrappers(m.chatTemplate, m.bosToken, m.eosToken);
    if (!w) warnings.push('the chat template is not a fixed wrapper per role; the Modelfile has no TEMPLATE, so Ollama uses the template stored in the GGUF');
    else {
      const go = goTemplate(w, m.addBos && !!m.bosToken && w.prefix === m.bosToken);
      if (go.includes('"""')) warnings.push('the chat template contains """, which a Modelfile cannot quote; TEMPLATE left out');
      else lines.push(`TEMPLATE """${go}"""`);
      // Special tokens that end an assistant turn or open a user turn stop generation.
      for (const tok of m.specialTokens) if (tok && (w.assistant[1].includes(tok) || w.user[0].includes(tok))) stops.add(tok);
    }
  } else {
    lines.push('TEMPLATE """{{ .Prompt }}"""');
  }
  for (const s of stops) lines.push(`PARAMETER stop ${quote(s)}`);
  lines.push(`PARAMETER num_ctx ${m.contextLength}`);
  return { text: lines.join('\n') + '\n', warnings };
}
