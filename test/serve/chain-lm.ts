// TEST FIXTURE — a real llama-architecture decoder (tuneshot's engine on ONNX Runtime, a byte-level
// BPE tokenizer.json, the builtin backend) whose weights are set by hand so that generation after
// the token `start` writes `text` one byte-level token per byte, then ends with EOS or starts over.
// With every layer's output projections at zero the residual stream is the token's embedding, so
// the logits depend on the current token only: embedding e_i (a basis vector) for the i-th token of
// the chain, and an lm_head row pointing at e_i for its successor. The successor's logit is ~57,
// every other one 0, so greedy and sampled generation agree. (Not a test file itself.)
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BuiltinLanguageModel } from '../../src/icl/backends/builtin.js';
import { Tokenizer } from '../../src/formats/tokenizer.js';
import { TransformerModel, llamaConfig } from '../../src/models/index.js';
import { BPE_EOS, bytesToUnicode, writeBpeTokenizer } from '../fixtures/tiny-tokenizers.js';

export interface ChainOptions {
  /** What the model writes: each UTF-8 byte is one token, so no byte may repeat. */
  text: string;
  /** The token after which the chain starts (a vocabulary entry, e.g. "Ġcat" or "<|endoftext|>"). */
  start: string;
  /** After the text: EOS (finish_reason "stop") or the text again, until max_tokens. */
  then: 'eos' | 'repeat';
  chatTemplate?: string;
  name?: string;
}

const HIDDEN = 32;

export async function chainLanguageModel(o: ChainOptions): Promise<BuiltinLanguageModel> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tuneshot-chain-lm-'));
  const vocab = await writeBpeTokenizer(dir, o.chatTemplate ? { chatTemplate: o.chatTemplate } : {});
  // Room for long generations (the fixture tokenizer says 64).
  const cfgPath = path.join(dir, 'tokenizer_config.json');
  await writeFile(cfgPath, JSON.stringify({ ...JSON.parse(await readFile(cfgPath, 'utf8')), model_max_length: 1024 }));
  const byteChars = bytesToUnicode();
  const id = (token: string) => {
    const v = vocab.get(token);
    if (v === undefined) throw new Error(`chain fixture: "${token}" is not in the vocabulary`);
    return v;
  };
  const chain = [id(o.start), ...[...Buffer.from(o.text, 'utf8')].map((b) => id(byteChars[b]!))];
  if (new Set(chain).size !== chain.length || chain.length > HIDDEN) throw new Error(`chain fixture: "${o.text}" repeats a byte or is too long`);
  const next = (i: number) => (i + 1 < chain.length ? chain[i + 1]! : o.then === 'eos' ? id(BPE_EOS) : chain[1]!);

  const raw = llamaConfig({ vocab: vocab.size, hidden: HIDDEN, layers: 1, heads: 4, kvHeads: 2, ffn: 16, maxPositions: 1024 });
  raw['tie_word_embeddings'] = false;
  const model = TransformerModel.fromConfig(raw, { seed: 1, head: 'clm', tokenizer: await Tokenizer.fromFolder(dir) });
  for (const name of model.params.names()) {
    const data = model.params.get(name)!.data as Float32Array;
    data.fill(/norm\.weight$/.test(name) ? 1 : 0);
  }
  const embed = model.params.get('model.embed_tokens.weight')!.data as Float32Array;
  const head = model.params.get('lm_head.weight')!.data as Float32Array;
  chain.forEach((tok, i) => {
    embed[tok * HIDDEN + i] = 1;
    head[next(i) * HIDDEN + i] = 10;
  });
  model.tokenizerDir = dir;
  return new BuiltinLanguageModel(model, o.name ?? 'chain');
}

/** A language model that records what its generations did: pieces streamed, when they ended, how. */
export interface Recorded {
  pieces: number;
  endedAt: number | undefined;
  outcome: 'running' | 'done' | 'cancelled';
  reason: unknown;
}

export function recording(lm: BuiltinLanguageModel): { lm: BuiltinLanguageModel; runs: Recorded[] } {
  const runs: Recorded[] = [];
  const inner = lm.generate.bind(lm);
  lm.generate = async (prompt, options) => {
    const run: Recorded = { pieces: 0, endedAt: undefined, outcome: 'running', reason: undefined };
    runs.push(run);
    try {
      const g = await inner(prompt, { ...options, onText: (p) => { run.pieces++; options.onText?.(p); } });
      run.outcome = 'done';
      return g;
    } catch (e) {
      run.outcome = 'cancelled';
      run.reason = e;
      throw e;
    } finally {
      run.endedAt = performance.now();
    }
  };
  return { lm, runs };
}
