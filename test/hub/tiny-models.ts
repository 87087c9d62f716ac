// Tiny Hugging Face model folders built by the tests (random weights, hand-made tokenizers), as
// the files a Hub repository would hold. (Not a test file itself.)
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TransformerModel, bertConfig, llamaConfig } from '../../src/models/index.js';
import { Tokenizer } from '../../src/formats/tokenizer.js';
import { writeBertTokenizer, writeBpeTokenizer } from '../formats/fixtures.js';

export async function folderFiles(dir: string): Promise<Record<string, Buffer>> {
  const out: Record<string, Buffer> = {};
  for (const f of await readdir(dir)) out[f] = await readFile(path.join(dir, f));
  return out;
}

/** A 2-layer BERT (hidden 32) with a WordPiece tokenizer, saved as a masked-LM checkpoint. */
export async function tinyBert(seed = 1): Promise<{ dir: string; files: Record<string, Buffer> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tuneshot-tiny-bert-'));
  const tok = path.join(dir, 'tok');
  const vocab = await writeBertTokenizer(tok);
  const m = TransformerModel.fromConfig(bertConfig({ vocab: vocab.size, hidden: 32, layers: 2, heads: 4, ffn: 64, maxPositions: 64 }), { seed, head: 'mlm', tokenizer: await Tokenizer.fromFolder(tok) });
  m.tokenizerDir = tok;
  const out = path.join(dir, 'model');
  await m.save(out, { architecture: 'BertForMaskedLM' });
  return { dir: out, files: await folderFiles(out) };
}

/** A 2-layer Llama (hidden 32) with a byte-level BPE tokenizer, saved as a causal-LM checkpoint. */
export async function tinyLlama(seed = 1): Promise<{ dir: string; files: Record<string, Buffer> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tuneshot-tiny-llama-'));
  const tok = path.join(dir, 'tok');
  const vocab = await writeBpeTokenizer(tok);
  const m = TransformerModel.fromConfig(llamaConfig({ vocab: vocab.size, hidden: 32, layers: 2, heads: 4, kvHeads: 2, ffn: 48, maxPositions: 64 }), { seed, head: 'clm', tokenizer: await Tokenizer.fromFolder(tok) });
  m.tokenizerDir = tok;
  const out = path.join(dir, 'model');
  await m.save(out, { architecture: 'LlamaForCausalLM' });
  return { dir: out, files: await folderFiles(out) };
}
