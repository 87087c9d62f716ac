// `echo` + `logprobs` on /v1/completions (what is returned, precisely):
//   logprobs.tokens         the token strings (model.detokenize of each token id) of the echoed prompt
//                           (when echo) followed by those of the generated text;
//   logprobs.token_logprobs natural-log probability of each token given all text before it, computed
//                           with scoreContinuations; the first token of the prompt has null (it has
//                           no context), as in OpenAI's API;
//   logprobs.text_offset    character offset of each token in prompt + generated text (so without
//                           echo, offsets start at the prompt's length);
//   logprobs.top_logprobs   one entry per token holding only the token itself ({token: logprob}):
//                           the LanguageModel interface gives no alternatives; null for the first.
// Models without detokenize give the prompt (and the completion) as one "token" each, carrying
// the summed log-probability (null for the prompt).
import type { LanguageModel } from '../icl/language-model.js';

export interface LogprobsOut {
  tokens: string[];
  token_logprobs: (number | null)[];
  top_logprobs: (Record<string, number> | null)[];
  text_offset: number[];
}

/** Token strings of `text`, or undefined when the model cannot tell. */
async function tokenPieces(lm: LanguageModel, text: string): Promise<string[] | undefined> {
  if (!lm.detokenize || text.length === 0) return text.length === 0 ? [] : undefined;
  const ids = await lm.tokenize(text);
  const pieces: string[] = [];
  for (const id of ids) pieces.push(await lm.detokenize([id]));
  if (pieces.join('') === text) return pieces;
  // Pieces that do not concatenate (e.g. multi-byte characters split across tokens): prefix diffs.
  const out: string[] = [];
  let prev = '';
  for (let i = 1; i <= ids.length; i++) {
    const s = await lm.detokenize(ids.slice(0, i));
    out.push(s.slice(prev.length));
    prev = s;
  }
  return out.join('') === text ? out : undefined;
}

/** Logprobs of the prompt tokens (first: null) and of the generated text, OpenAI-style. */
export async function completionLogprobs(lm: LanguageModel, prompt: string, completion: string, echo: boolean): Promise<LogprobsOut> {
  const out: LogprobsOut = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
  const push = (tok: string, lp: number | null, offset: number) => {
    out.tokens.push(tok);
    out.token_logprobs.push(lp);
    out.top_logprobs.push(lp === null ? null : { [tok]: lp });
    out.text_offset.push(offset);
  };
  if (echo && prompt.length > 0) {
    const pieces = await tokenPieces(lm, prompt);
    if (!pieces || pieces.length === 0) {
      push(prompt, null, 0);
    } else {
      push(pieces[0]!, null, 0);
      if (pieces.length > 1) {
        const [score] = await lm.scoreContinuations(pieces[0]!, [prompt.slice(pieces[0]!.length)]);
        const lps = score!.tokenLogprobs;
        const rest = pieces.length - 1;
        let offset = pieces[0]!.length;
        for (let i = 0; i < rest; i++) {
          // Align from the end if the model's split differs (it should not).
          const j = lps.length - rest + i;
          push(pieces[i + 1]!, j >= 0 ? lps[j]! : null, offset);
          offset += pieces[i + 1]!.length;
        }
      }
    }
  }
  if (completion.length > 0) {
    const [score] = await lm.scoreContinuations(prompt, [completion]);
    const lps = score!.tokenLogprobs;
    const pieces = await tokenPieces(lm, completion);
    let offset = prompt.length;
    if (pieces && pieces.length === lps.length) {
      pieces.forEach((p, i) => {
        push(p, lps[i]!, offset);
        offset += p.length;
      });
    } else {
      push(completion, lps.reduce((a, b) => a + b, 0), offset);
    }
  }
  return out;
}
