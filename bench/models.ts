// npm run bench:models — inference throughput:
//  * a ~30M-parameter Llama (hidden 512, 8 layers, 8 heads / 4 KV heads, FFN 1408, vocab 8192,
//    seeded random weights, byte-level BPE): prompt processing (batch 1, 512 tokens) and greedy
//    generation (128 new tokens after a 16-token prompt), tuneshot vs node-llama-cpp on the F32
//    GGUF that tuneshot exports from the same weights, both with the same thread count;
//  * batched encoder inference of BERT-mini (4 layers, hidden 256), batch 32 x 128 tokens.
// Medians after warm-up. The last stdout line is one JSON object with every figure.
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { defaultThreads } from '../src/engine/index.js';
import { TransformerModel, bertConfig, decoderFeeds, encoderFeeds, generate, llamaConfig, nextTokenLogits } from '../src/models/index.js';
import type { HostTensor } from '../src/engine/index.js';
import { Tokenizer } from '../src/formats/tokenizer.js';
import { readCheckpoint } from '../src/formats/checkpoint.js';
import { checkpointToGguf } from '../src/formats/gguf.js';
import { writeBenchBpeTokenizer } from './lib/bpe.js';
import { mulberryInts } from './lib/data.js';
import { median, round, table, timeIt } from './lib/util.js';

const threads = defaultThreads();
const quick = process.env.BENCH_QUICK === '1';
const REPS = quick ? 2 : 5;
const PROMPT = 512, GEN = 128, GEN_PROMPT = 16, VOCAB = 8192;
const log = (s: string) => process.stderr.write(s + '\n');

async function main() {
  const dir = await mkdtemp(path.join(tmpdir(), 'tuneshot-bench-models-'));
  try {
    // ---- the decoder, its tokenizer and its GGUF ----
    const tokDir = path.join(dir, 'tok');
    await writeBenchBpeTokenizer(tokDir, VOCAB);
    const raw = llamaConfig({ vocab: VOCAB, hidden: 512, layers: 8, heads: 8, kvHeads: 4, ffn: 1408, maxPositions: 1024 });
    raw['tie_word_embeddings'] = false;
    raw['bos_token_id'] = VOCAB - 1;
    raw['eos_token_id'] = VOCAB - 1;
    const model = TransformerModel.fromConfig(raw, { seed: 11, head: 'clm', tokenizer: await Tokenizer.fromFolder(tokDir) });
    model.tokenizerDir = tokDir;
    log(`llama: ${(model.numParams() / 1e6).toFixed(1)}M parameters; exporting GGUF ...`);
    await model.save(path.join(dir, 'hf'));
    const ck = await readCheckpoint(path.join(dir, 'hf'));
    const gguf = path.join(dir, 'model.gguf');
    await checkpointToGguf(ck.config, ck.tensors, path.join(dir, 'hf'), gguf);

    // Token ids (not text) go to both engines, so both see exactly the same sequence.
    const promptIds = Array.from(mulberryInts(PROMPT, VOCAB - 1, 5));
    const genPromptIds = promptIds.slice(0, GEN_PROMPT);
    const genPromptText = model.tokenizer!.decode(genPromptIds, { skipSpecialTokens: true });

    // ---- tuneshot ----
    log('tuneshot: prompt processing ...');
    const tsPrompt = await timeIt(() => nextTokenLogits(model, promptIds), REPS, 2);
    log('tuneshot: generation ...');
    const genPromptLen = model.tokenizer!.encode(genPromptText, null, { addSpecialTokens: true }).length;
    const tsShortPrefill = median(await timeIt(() => nextTokenLogits(model, model.tokenizer!.encode(genPromptText, null, { addSpecialTokens: true })), REPS, 1));
    let tsGenTokens = 0;
    const tsGen = await timeIt(async () => {
      const r = await generate(model, genPromptText, { maxTokens: GEN, temperature: 0 });
      tsGenTokens = r.tokens.length;
    }, REPS, 1);
    // generate() runs one decode step per returned token (after the prefill of the prompt).
    const tsGenPerS = tsGenTokens / (median(tsGen) - tsShortPrefill);
    // Per-token decode latency (same KV-cache program generate() uses), robust to other load on the machine.
    const tsTok = await decodeLatencies(model, genPromptIds, GEN);

    // ---- llama.cpp ----
    log('llama.cpp: loading ...');
    const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
    const llama = await getLlama({ gpu: false, build: 'never', skipDownload: true, logLevel: LlamaLogLevel.error, progressLogs: false, maxThreads: threads });
    const lm = await llama.loadModel({ modelPath: gguf });
    const ctx = await lm.createContext({ contextSize: 1024, batchSize: PROMPT, threads, sequences: 1 });
    const seq = ctx.getSequence();
    log('llama.cpp: prompt processing ...');
    const lcPrompt: number[] = [];
    for (let i = 0; i < REPS + 2; i++) {
      await seq.clearHistory();
      const t0 = performance.now();
      await seq.evaluateWithoutGeneratingNewTokens(promptIds as never);
      if (i >= 2) lcPrompt.push((performance.now() - t0) / 1000);
    }
    log('llama.cpp: generation ...');
    const genIds = lm.tokenize(genPromptText) as number[];
    const lcShort: number[] = [];
    const lcGen: number[] = [];
    const lcTok: number[] = [];
    let lcGenTokens = 0;
    for (let i = 0; i < REPS + 1; i++) {
      await seq.clearHistory();
      let t0 = performance.now();
      await seq.evaluateWithoutGeneratingNewTokens(genIds as never);
      if (i >= 1) lcShort.push((performance.now() - t0) / 1000);
      await seq.clearHistory();
      t0 = performance.now();
      let n = 0;
      let last = t0;
      for await (const _t of seq.evaluate(genIds as never, { temperature: 0 })) {
        const now = performance.now();
        if (n > 0 && i >= 1) lcTok.push((now - last) / 1000);
        last = now;
        if (++n >= GEN) break;
      }
      if (i >= 1) lcGen.push((performance.now() - t0) / 1000);
      lcGenTokens = n;
    }
    // evaluate() yields the first token after the prefill; each further token costs one decode step.
    const lcGenPerS = (lcGenTokens - 1) / (median(lcGen) - median(lcShort));
    await ctx.dispose();
    await lm.dispose();
    await llama.dispose();

    // ---- encoder: BERT-mini, batch 32 x 128 ----
    log('encoder: BERT-mini batch 32 x 128 ...');
    const enc = TransformerModel.fromConfig(bertConfig({ vocab: VOCAB, hidden: 256, layers: 4, heads: 4, ffn: 1024 }), { seed: 3, head: 'base' });
    const B = 32, T = 128;
    const ids = mulberryInts(B * T, VOCAB, 9);
    const rows = Array.from({ length: B }, (_, b) => Array.from(ids.subarray(b * T, (b + 1) * T)));
    const { program } = enc.program({ head: 'base' });
    const feeds = Object.fromEntries(Object.entries(encoderFeeds(enc, { inputIds: rows, attentionMask: rows.map((r) => r.map(() => 1)) })).filter(([k]) => program.feeds.some((t) => t.name === k)));
    const encT = await timeIt(() => program.run(feeds, enc.params), REPS + 2, 2);

    const r = {
      prompt_tokens_per_s: round(PROMPT / median(tsPrompt)),
      llamacpp_prompt_tokens_per_s: round(PROMPT / median(lcPrompt)),
      gen_tokens_per_s: round(tsGenPerS),
      llamacpp_gen_tokens_per_s: round(lcGenPerS),
      encoder_seqs_per_s: round(B / median(encT)),
      gen_tokens_per_s_from_median_token: round(1 / median(tsTok)),
      llamacpp_gen_tokens_per_s_from_median_token: round(1 / median(lcTok)),
      load_average_1m: round(loadavg()[0]!, 3),
      encoder_tokens_per_s: round((B * T) / median(encT)),
      llama_params: model.numParams(),
      gen_tokens: { tuneshot: tsGenTokens, llamacpp: lcGenTokens },
      gen_prompt_tokens: { tuneshot: genPromptLen, llamacpp: genIds.length },
      threads,
    };
    console.log(`Inference throughput, ${threads} threads on both engines, medians of ${REPS}+ runs after warm-up.`);
    console.log(`Llama ${(model.numParams() / 1e6).toFixed(1)}M params (hidden 512, 8 layers, 8 heads / 4 KV, FFN 1408, vocab ${VOCAB}, untied), F32; llama.cpp runs tuneshot's own GGUF export.\n`);
    console.log(table(['workload', 'tuneshot', 'llama.cpp (node-llama-cpp 3.21.1)', 'tuneshot / llama.cpp'], [
      [`prompt processing, batch 1, ${PROMPT} tokens (tokens/s)`, r.prompt_tokens_per_s, r.llamacpp_prompt_tokens_per_s, `${(r.prompt_tokens_per_s! / r.llamacpp_prompt_tokens_per_s!).toFixed(2)}x`],
      [`greedy generation, ${GEN} tokens after ${GEN_PROMPT}-token prompt (tokens/s)`, r.gen_tokens_per_s, r.llamacpp_gen_tokens_per_s, `${(r.gen_tokens_per_s! / r.llamacpp_gen_tokens_per_s!).toFixed(2)}x`],
      [`decode, 1 / median per-token latency (tokens/s)`, r.gen_tokens_per_s_from_median_token, r.llamacpp_gen_tokens_per_s_from_median_token, `${(r.gen_tokens_per_s_from_median_token! / r.llamacpp_gen_tokens_per_s_from_median_token!).toFixed(2)}x`],
      [`BERT-mini encoder, batch ${B} x ${T} (sequences/s)`, r.encoder_seqs_per_s, null, '-'],
    ]));
    console.log(`\nmachine load average (1 min) at the end: ${r.load_average_1m} on ${threads}+ threads; other processes share the CPU.`);
    console.log(`encoder: ${(B * T / median(encT)).toFixed(0)} tokens/s; generation excludes the prompt prefill (measured separately and subtracted).`);
    console.log(JSON.stringify(r));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Seconds per decode step of batch-1 greedy decoding with the KV cache, after `prompt`. */
async function decodeLatencies(model: TransformerModel, prompt: number[], n: number): Promise<number[]> {
  const c = model.config, V = c.vocabSize;
  const { program, built } = model.program({ head: 'clm', kvCache: true }, (b) => [b.logits, ...b.present!.flatMap((p) => [p.k, p.v])]);
  let past: HostTensor[] = Array.from({ length: 2 * c.layers }, () => ({ data: new Float32Array(0), shape: [1, c.kvHeads, 0, c.headDim] }));
  let len = 0, ids = prompt;
  const out: number[] = [];
  for (let step = 0; step <= n; step++) {
    const t0 = performance.now();
    const feeds = decoderFeeds({ inputIds: [ids], attentionMask: [ids.map(() => 1)] }, len);
    built.inputs.past!.forEach((p, i) => {
      feeds[p.k.name] = past[2 * i]!;
      feeds[p.v.name] = past[2 * i + 1]!;
    });
    const [logits, ...present] = await program.run(feeds, model.params);
    const l = logits!.data as Float32Array;
    let best = 0;
    for (let j = 1; j < V; j++) if (l[l.length - V + j]! > l[l.length - V + best]!) best = j;
    past = present.map((t) => ({ data: t.data as Float32Array, shape: t.dims as number[] }));
    len += ids.length;
    ids = [best];
    if (step > 0) out.push((performance.now() - t0) / 1000);
  }
  return out;
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
