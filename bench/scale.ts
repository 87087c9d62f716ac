// npm run bench:scale — training at the sizes users fine-tune (issue #16): bert-base sequence
// classification (full), Qwen2.5-0.5B LoRA and full fine-tuning, seeded random weights in the real
// shapes (nothing downloaded). Each side runs in a child process of its own (tuneshot:
// bench/lib/tuneshot-scale.ts, PyTorch: bench/lib/torch_scale.py), one after the other, with the
// same threads and batch, so each peak RSS is that process's own high-water mark. One warm-up step,
// then a few timed ones; medians. The last stdout line is one JSON object with every figure.
//
//   npm run bench:scale                                  every case
//   BENCH_CASE=qwen05b_lora npm run bench:scale          one case (comma list for several); or --case <name>
//   BENCH_STEPS=1 ...                                    timed steps a case (default: the case's own, 2-3)
//   TUNESHOT_THREADS=2 ...                               threads of both sides (default 2)
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultThreads } from '../src/engine/index.js';
import { median, round, table, timeIt, torchPython } from './lib/util.js';
import { ortMatmulPeak } from './lib/tuneshot-bert.js';
import { SCALE_CASES, scaleStepFlops, type ScaleCase } from './lib/scale-cases.js';
import type { TuneshotScaleResult } from './lib/tuneshot-scale.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const threads = defaultThreads();
const log = (s: string) => process.stderr.write(s + '\n');

interface TorchScaleResult { torch_version: string; threads: number; step_seconds: number[]; warmup_seconds: number; peak_rss_gb: number; params: number; trainable: number }

function selectedCases(): ScaleCase[] {
  const i = process.argv.indexOf('--case');
  const want = (i > 0 ? process.argv[i + 1] : process.env.BENCH_CASE)?.split(',').filter(Boolean);
  if (!want?.length) return SCALE_CASES;
  const unknown = want.filter((w) => !SCALE_CASES.some((c) => c.name === w));
  if (unknown.length) throw new Error(`unknown case ${unknown.join(', ')}; one of ${SCALE_CASES.map((c) => c.name).join(', ')}`);
  return SCALE_CASES.filter((c) => want.includes(c.name));
}

function child<T>(cmd: string, args: string[], what: string): T | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, TUNESHOT_THREADS: String(threads), OMP_NUM_THREADS: String(threads) }, maxBuffer: 1 << 26 });
  if (r.status !== 0) {
    log(`${what} failed (${r.signal ?? `exit ${r.status}`}): ${r.stderr.trim().split('\n').slice(-5).join('\n')}`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as T;
}

const gb = (x: number | null | undefined) => (x === null || x === undefined ? null : Number(x.toFixed(2)));
const la = () => loadavg()[0]!;

async function main() {
  const cases = selectedCases();
  log(`threads: ${threads} (both sides; TUNESHOT_THREADS overrides); load average ${la().toFixed(2)}`);
  // The peak is the machine's best, so the fastest of the repetitions (other jobs only slow it
  // down), measured before the cases and again after them; the higher of the two counts.
  log('peak: 2048x2048 float32 MatMul on ONNX Runtime ...');
  const best = async () => {
    const r = await ortMatmulPeak(2048, 9, timeIt);
    return (2 * 2048 ** 3) / Math.min(...r.seconds) / 1e9;
  };
  const peakBefore = await best();
  log(`  ${peakBefore.toFixed(1)} GFLOP/s`);
  const peak = { gflops: peakBefore, before: peakBefore, after: NaN };
  const py = torchPython();
  if (!py) log('PyTorch not importable (apt-get install python3-torch): the PyTorch columns will be n/a');
  const json: Record<string, Record<string, number | null>> = {};
  const rows: Array<Array<string | number | null>> = [];
  const phaseRows: Array<Array<string | number | null>> = [];
  const loads: Record<string, number[]> = {};
  for (const c of cases) {
    const tokens = c.batch * c.seq, flops = scaleStepFlops(c);
    const steps = process.env.BENCH_STEPS ? Number(process.env.BENCH_STEPS) : c.steps;
    const lavg = [la()];
    log(`${c.name}: tuneshot (${steps} timed steps after 1 warm-up) ...`);
    const ts = child<TuneshotScaleResult>(process.execPath, ['--import', 'tsx', path.join(here, 'lib', 'tuneshot-scale.ts'), c.name], `${c.name} tuneshot`);
    lavg.push(la());
    let pt: TorchScaleResult | null = null;
    if (c.torch && py) {
      log(`${c.name}: PyTorch ...`);
      pt = child<TorchScaleResult>(py, [path.join(here, 'lib', 'torch_scale.py'), JSON.stringify({ ...c, steps, threads })], `${c.name} PyTorch`);
      lavg.push(la());
    }
    loads[c.name] = lavg.map((x) => Number(x.toFixed(2)));
    const tsSec = ts ? median(ts.step_seconds) : null, ptSec = pt ? median(pt.step_seconds) : null;
    const mfu = (sec: number | null) => (sec === null ? null : flops / sec / 1e9 / peak.gflops);
    const tps = (sec: number | null) => (sec === null ? null : round(tokens / sec));
    const entry: Record<string, number | null> = { tokens_per_s: tps(tsSec) };
    if (c.torch) entry['torch_tokens_per_s'] = tps(ptSec);
    entry['peak_rss_gb'] = gb(ts?.peak_rss_gb);
    if (c.torch) entry['torch_peak_rss_gb'] = gb(pt?.peak_rss_gb);
    if (c.name === 'bert_base_classify') {
      entry['mfu'] = round(mfu(tsSec));
      entry['torch_mfu'] = round(mfu(ptSec));
    }
    Object.assign(entry, { step_s: round(tsSec), torch_step_s: c.torch ? round(ptSec) : undefined, speedup_vs_torch: tsSec && ptSec ? round(ptSec / tsSec) : c.torch ? null : undefined, gflops_per_step: round(flops / 1e9), params: ts?.params ?? null, trainable: ts?.trainable ?? null });
    for (const k of Object.keys(entry)) if (entry[k] === undefined) delete entry[k];
    json[c.name] = entry;
    const label = `${c.name} (${c.batch}x${c.seq}, ${c.method})`;
    rows.push([label, 'tuneshot (ORT)', tsSec, tps(tsSec), gb(ts?.peak_rss_gb), tsSec ? `${(100 * mfu(tsSec)!).toFixed(1)}%` : null]);
    if (c.torch) rows.push([label, py ? `PyTorch ${pt?.torch_version ?? '(failed)'}` : 'PyTorch (not importable)', ptSec, tps(ptSec), gb(pt?.peak_rss_gb), ptSec ? `${(100 * mfu(ptSec)!).toFixed(1)}%` : null]);
    if (ts) {
      const ph = (k: keyof TuneshotScaleResult['timings'][number]) => median(ts.timings.map((t) => t[k]));
      const total = ph('total');
      const pct = (x: number) => `${x.toFixed(2)} (${((100 * x) / total).toFixed(0)}%)`;
      phaseRows.push([c.name, pct(ph('ort')), pct(ph('feeds')), pct(ph('copies')), pct(ph('accumulate')), pct(ph('clip')), pct(ph('optimizer')), total.toFixed(2), gb(ts.rss_after_init_gb)]);
    }
  }
  peak.after = await best();
  peak.gflops = Math.max(peak.before, peak.after);
  for (const c of cases) {
    const e = json[c.name]!;
    const flops = scaleStepFlops(c);
    if ('mfu' in e) {
      e['mfu'] = e['step_s'] ? round(flops / e['step_s'] / 1e9 / peak.gflops) : null;
      e['torch_mfu'] = e['torch_step_s'] ? round(flops / e['torch_step_s'] / 1e9 / peak.gflops) : null;
    }
  }
  for (const r of rows) {
    const c = cases.find((x) => String(r[0]).startsWith(x.name))!;
    if (typeof r[2] === 'number') r[5] = `${((100 * scaleStepFlops(c)) / r[2] / 1e9 / peak.gflops).toFixed(1)}%`;
  }
  console.log(`Training at scale: seeded random weights in real shapes, dropout off, AdamW (weight decay 0.01), clipping at norm 1.`);
  console.log(`${threads} threads both sides; one warm-up step, then medians of the timed steps; each side in its own child process.`);
  console.log(`Peak: 2048x2048 MatMul on ONNX Runtime, ${threads} threads, fastest of 9: ${peak.before.toFixed(1)} GFLOP/s before the cases, ${peak.after.toFixed(1)} after; MFU against the higher. MFU = model FLOPs/step (bench/lib/scale-cases.ts) / step time / peak.\n`);
  console.log(table(['case', 'implementation', 's/step', 'tokens/s', 'peak RSS GB', 'MFU'], rows));
  if (phaseRows.length) {
    console.log(`\ntuneshot per-phase seconds a step (median; share of the step):`);
    console.log(table(['case', 'ORT run', 'feeds/fetches', 'host copies', 'grad accumulate', 'clip', 'optimizer', 'step', 'RSS after init GB'], phaseRows));
  }
  console.log(`\nload average (1 min) before / after tuneshot / after PyTorch, per case: ${Object.entries(loads).map(([k, v]) => `${k} ${v.join(' / ')}`).join('; ')} (2 cores shared with other jobs).`);
  const b = json['bert_base_classify'], q = json['qwen05b_lora'], f = json['qwen05b_full'];
  const verdict = (ok: boolean | null) => (ok === null ? 'n/a' : ok ? 'MET' : 'MISSED');
  const ge = (a: number | null | undefined, x: number | null | undefined, k = 1) => (a == null || x == null ? null : a >= k * x);
  const le = (a: number | null | undefined, x: number | null | undefined) => (a == null || x == null ? null : a <= x);
  const targets: string[] = [];
  if (b) targets.push(`bert_base_classify >=1.3x PyTorch tokens/s: ${verdict(ge(b['tokens_per_s'], b['torch_tokens_per_s'], 1.3))}; peak RSS <= PyTorch: ${verdict(le(b['peak_rss_gb'], b['torch_peak_rss_gb']))}; MFU >=70%: ${verdict(ge(b['mfu'], 0.7))}`);
  if (q) targets.push(`qwen05b_lora >=1x PyTorch tokens/s: ${verdict(ge(q['tokens_per_s'], q['torch_tokens_per_s']))}; peak RSS <= PyTorch: ${verdict(le(q['peak_rss_gb'], q['torch_peak_rss_gb']))}`);
  if (f) targets.push(`qwen05b_full runs: ${verdict(f['tokens_per_s'] !== null)}; peak RSS <= 12 GB: ${verdict(le(f['peak_rss_gb'], 12))}`);
  console.log(`targets (#16): ${targets.join('\n               ')}`);
  console.log(JSON.stringify({ ...json, peak_gflops: round(peak.gflops), peak_gflops_before: round(peak.before), peak_gflops_after: round(peak.after), threads, load_average_1m: round(la(), 3), load_averages: loads }));
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
