// npm run bench:engine — one full training step (forward, backward, AdamW update) of a BERT-style
// encoder with the MLM loss over ALL positions, dropout off, in two sizes, against TF.js (wasm),
// PyTorch (when importable) and this machine's MatMul peak on ONNX Runtime. Medians of several
// repetitions after warm-up. The last stdout line is one JSON object with every figure.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultThreads } from '../src/engine/index.js';
import { EncoderShape, encoderParams, median, round, table, timeIt, torchPython, trainStepFlops } from './lib/util.js';
import { ortMatmulPeak, tuneshotEncoder } from './lib/tuneshot-bert.js';
import { initTfjsWasm, tfjsEncoder } from './lib/tfjs-bert.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const threads = defaultThreads();
const quick = process.env.BENCH_QUICK === '1';

const SIZES: EncoderShape[] = [
  { name: 'mini', layers: 4, hidden: 256, heads: 4, ffn: 1024, vocab: 8192, seq: 128, batch: 16, maxPositions: 512 },
  { name: 'nano', layers: 3, hidden: 48, heads: 3, ffn: 192, vocab: 8192, seq: 128, batch: 16, maxPositions: 512 },
];
const REPS = { tuneshot: quick ? 2 : 7, tfjs: quick ? 1 : 3, torch: quick ? 2 : 7 };

const log = (s: string) => process.stderr.write(s + '\n');

interface TorchResult { torch_version: string; threads: number; step_seconds: number[]; forward_seconds: number[] }

function runTorch(py: string, s: EncoderShape): TorchResult | null {
  const arg = JSON.stringify({ ...s, reps: REPS.torch, warmup: 2, threads });
  const r = spawnSync(py, [path.join(here, 'lib', 'torch_bert.py'), arg], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(threads) }, maxBuffer: 1 << 20 });
  if (r.status !== 0) {
    log(`PyTorch run failed: ${r.stderr}`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as TorchResult;
}

async function main() {
  log(`threads: ${threads} (ORT intra-op; TUNESHOT_THREADS overrides)`);
  log('peak: 2048x2048 float32 MatMul on ONNX Runtime ...');
  const peak = await ortMatmulPeak(2048, quick ? 3 : 15, timeIt);
  log(`  ${peak.gflops.toFixed(1)} GFLOP/s`);
  const tfInfo = await initTfjsWasm(threads);
  const py = torchPython();
  const results: Record<string, Record<string, number | null>> = {};
  const rows: Array<Array<string | number | null>> = [];
  for (const s of SIZES) {
    const flops = trainStepFlops(s);
    const tokens = s.batch * s.seq;
    log(`${s.name}: tuneshot ...`);
    const ts = tuneshotEncoder(s);
    const tsStep = await timeIt(() => ts.step(), REPS.tuneshot, 2);
    const tsFwd = await timeIt(() => ts.forward(), REPS.tuneshot, 1);
    log(`${s.name}: TF.js wasm ...`);
    const tj = tfjsEncoder(s);
    const tjStep = await timeIt(() => tj.step(), REPS.tfjs, 1);
    const tjFwd = await timeIt(() => tj.forward(), REPS.tfjs, 1);
    tj.dispose();
    let torch: TorchResult | null = null;
    if (py) {
      log(`${s.name}: PyTorch ...`);
      torch = runTorch(py, s);
    }
    const m = {
      ts: median(tsStep), tsF: median(tsFwd), tj: median(tjStep), tjF: median(tjFwd),
      pt: torch ? median(torch.step_seconds) : null, ptF: torch ? median(torch.forward_seconds) : null,
    };
    const mfu = (sec: number | null) => (sec === null ? null : flops / sec / 1e9 / peak.gflops);
    results[s.name] = {
      tokens_per_s: round(tokens / m.ts),
      tfjs_tokens_per_s: round(tokens / m.tj),
      torch_tokens_per_s: m.pt === null ? null : round(tokens / m.pt),
      mfu: round(mfu(m.ts)),
      tfjs_mfu: round(mfu(m.tj)),
      torch_mfu: round(mfu(m.pt)),
      step_s: round(m.ts), forward_s: round(m.tsF),
      tfjs_step_s: round(m.tj), tfjs_forward_s: round(m.tjF),
      torch_step_s: round(m.pt), torch_forward_s: round(m.ptF),
      gflops_per_step: round(flops / 1e9),
      params: ts.numParams, non_embedding_params: encoderParams(s).nonEmbedding,
      speedup_vs_tfjs: round(m.tj / m.ts), speedup_vs_torch: m.pt === null ? null : round(m.pt / m.ts),
    };
    const row = (who: string, step: number | null, fwd: number | null) =>
      rows.push([s.name, who, step === null ? null : tokens / step, step === null ? null : step * 1000, fwd === null ? null : fwd * 1000, step === null ? null : flops / step / 1e9, step === null ? null : `${(100 * mfu(step)!).toFixed(1)}%`]);
    row('tuneshot (ORT)', m.ts, m.tsF);
    row(`TF.js wasm (${tfInfo.threads} thr)`, m.tj, m.tjF);
    row(torch ? `PyTorch ${torch.torch_version}` : 'PyTorch (not importable)', m.pt, m.ptF);
  }
  console.log(`Encoder training step: BERT-style, MLM loss over ALL B*T positions, dropout off, AdamW (TF.js: Adam).`);
  console.log(`batch 16 x seq 128 = 2048 tokens; ${threads} threads (TF.js wasm: ${tfInfo.threads}, threads unavailable in Node); medians.`);
  console.log(`Peak: 2048x2048 MatMul on ONNX Runtime, ${threads} threads: ${peak.gflops.toFixed(1)} GFLOP/s (median of ${peak.seconds.length}).`);
  console.log(`FLOPs/step = 6*N_nonemb*tokens + 12*L*B*T^2*H + 6*tokens*H*V  (mini ${results.mini!.gflops_per_step} GFLOP, nano ${results.nano!.gflops_per_step} GFLOP)\n`);
  console.log(table(['size', 'implementation', 'tokens/s', 'step ms', 'fwd-only ms', 'GFLOP/s', 'MFU'], rows));
  const mini = results.mini!;
  console.log(`\nmachine load average (1 min) at the end: ${loadavg()[0]!.toFixed(2)} (2 cores shared with other jobs).`);
  console.log(`mini targets: >=5x TF.js: ${mini.speedup_vs_tfjs}x ${mini.speedup_vs_tfjs! >= 5 ? 'MET' : 'MISSED'}; MFU >=35%: ${(100 * mini.mfu!).toFixed(1)}% ${mini.mfu! >= 0.35 ? 'MET' : 'MISSED'}; >= PyTorch: ${mini.speedup_vs_torch === null ? 'n/a' : `${mini.speedup_vs_torch}x ${mini.speedup_vs_torch >= 1 ? 'MET' : 'MISSED'}`}`);
  console.log(JSON.stringify({ ...results, peak_gflops: round(peak.gflops), threads, load_average_1m: round(loadavg()[0]!, 3), tfjs_threads: tfInfo.threads }));
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
