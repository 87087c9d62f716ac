// Fitting long texts into a small context window: each demonstration and the query get an equal
// share (prefix kept), so k demonstrations and the query fit instead of the query failing.
import type { LanguageModel } from './language-model.js';

/** Cut `text` so that it has at most `maxTokens` tokens (by prefix; the tokenizer decides). */
export async function truncateTokens(lm: LanguageModel, text: string, maxTokens: number): Promise<string> {
  let t = text;
  let n = (await lm.tokenize(t)).length;
  for (let i = 0; i < 12 && n > maxTokens && t.length > 0; i++) {
    t = t.slice(0, Math.max(0, Math.floor((t.length * maxTokens) / n * 0.97) - 1)).trimEnd();
    n = (await lm.tokenize(t)).length;
  }
  return t;
}

/** Cut every text to `perText` tokens; returns the texts and how many were cut. */
export async function truncateAll<T extends { text: string }>(lm: LanguageModel, items: T[], perText: number): Promise<{ items: T[]; truncated: number }> {
  let truncated = 0;
  const out: T[] = [];
  for (const e of items) {
    const text = await truncateTokens(lm, e.text, perText);
    if (text !== e.text) truncated++;
    out.push({ ...e, text });
  }
  return { items: out, truncated };
}
