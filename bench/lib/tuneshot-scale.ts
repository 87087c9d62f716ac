// tuneshot side of `npm run bench:scale`, run as a child process (so its peak RSS is its own):
//   node --import tsx bench/lib/tuneshot-scale.ts <case name>
// Builds the case's model with seeded random weights, trains it through the engine's Trainer with
// AdamW (and gradient clipping at 1, as `tuneshot finetune` does), one warm-up step then the timed
// ones. Prints one JSON line: step seconds, the per-phase timings of each step, peak RSS.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { AdamW, HostTensor, Trainer, defaultThreads, type StepTimings } from '../../src/engine/index.js';
import { TransformerModel, bertConfig, decoderFeeds, encoderFeeds, isLoraParam } from '../../src/models/index.js';
import { mulberryInts } from './data.js';
import { SCALE_CASES, type ScaleCase } from './scale-cases.js';

/** The process's resident-set high-water mark in bytes (VmHWM), and its current RSS. */
export function rssBytes(): { peak: number; now: number } {
  try {
    const st = readFileSync('/proc/self/status', 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(st)?.[1] ?? NaN) * 1024;
    return { peak: kb('VmHWM'), now: kb('VmRSS') };
  } catch {
    return { peak: process.resourceUsage().maxRSS * 1024, now: process.memoryUsage().rss };
  }
}

function rawConfig(c: ScaleCase): Record<string, unknown> {
  const s = c.shape;
  if (s.family === 'bert') {
    const raw = bertConfig({ vocab: s.vocab, hidden: s.hidden, layers: s.layers, heads: s.heads, ffn: s.ffn, maxPositions: s.maxPositions });
    raw['hidden_dropout_prob'] = 0;
    raw['attention_probs_dropout_prob'] = 0;
    return raw;
  }
  return {
    model_type: 'qwen2', architectures: ['Qwen2ForCausalLM'], vocab_size: s.vocab, hidden_size: s.hidden, num_hidden_layers: s.layers,
    num_attention_heads: s.heads, num_key_value_heads: s.kvHeads, intermediate_size: s.ffn, hidden_act: 'silu',
    max_position_embeddings: s.maxPositions, rms_norm_eps: 1e-6, rope_theta: 1_000_000, tie_word_embeddings: true, attention_dropout: 0,
  };
}

function batchFeeds(c: ScaleCase, model: TransformerModel, seed: number): Record<string, HostTensor> {
  const { batch: B, seq: T } = c;
  const ids = mulberryInts(B * T, c.shape.vocab, seed);
  const rows = Array.from({ length: B }, (_, b) => Array.from(ids.subarray(b * T, (b + 1) * T)));
  const mask = rows.map((r) => r.map(() => 1));
  if (c.loss === 'classify') {
    const feeds = encoderFeeds(model, { inputIds: rows, attentionMask: mask });
    feeds['labels'] = { data: BigInt64Array.from(mulberryInts(B, 2, seed + 1), (x) => BigInt(x)), shape: [B] };
    return feeds;
  }
  const feeds = decoderFeeds({ inputIds: rows, attentionMask: mask });
  // Next-token labels; the last position of each row has none (-100, ignored).
  const labels = rows.flatMap((r) => r.map((_, t) => (t + 1 < T ? r[t + 1]! : -100)));
  feeds['labels'] = { data: BigInt64Array.from(labels, (x) => BigInt(x)), shape: [B * T] };
  return feeds;
}

export interface TuneshotScaleResult {
  case: string;
  threads: number;
  params: number;
  trainable: number;
  step_seconds: number[];
  timings: StepTimings[];
  warmup_seconds: number;
  init_seconds: number;
  rss_after_init_gb: number;
  peak_rss_gb: number;
  losses: number[];
}

async function main() {
  const name = process.argv[2];
  const c = SCALE_CASES.find((x) => x.name === name);
  if (!c) throw new Error(`unknown case ${name}; one of ${SCALE_CASES.map((x) => x.name).join(', ')}`);
  const steps = Number(process.env.BENCH_STEPS) > 0 ? Number(process.env.BENCH_STEPS) : c.steps;
  const t0 = performance.now();
  const head = c.loss === 'classify' ? 'cls' : 'clm';
  const model = TransformerModel.fromConfig(rawConfig(c), { seed: 1, head, numLabels: 2 });
  const lora = c.lora && { r: c.lora.r, alpha: c.lora.alpha, dropout: 0, targetModules: c.lora.targets };
  if (lora) model.ensureParams({ head, lora }, 1);
  const built = model.build({ head, numLabels: 2, pooling: 'cls', training: true, noDropout: true, lora });
  const trainable = built.graph.params.filter((p) => (c.method === 'lora' ? isLoraParam(p.name) : true));
  const trainer = new Trainer(built.loss!, trainable, model.params, {
    optimizer: new AdamW({ weightDecay: 0.01 }),
    schedule: { kind: 'constant', peakLr: 1e-5, warmupSteps: 0, totalSteps: 1_000_000 },
    clipNorm: 1,
  });
  const all = batchFeeds(c, model, 7);
  const feeds = Object.fromEntries(Object.entries(all).filter(([k]) => trainer.program.feeds.some((t) => t.name === k)));
  const initSeconds = (performance.now() - t0) / 1000;
  const rssInit = rssBytes().now;
  const w0 = performance.now();
  const losses: number[] = [(await trainer.trainStep([feeds])).loss];
  const warmup = (performance.now() - w0) / 1000;
  const stepSeconds: number[] = [], timings: StepTimings[] = [];
  for (let i = 0; i < steps; i++) {
    const s0 = performance.now();
    const r = await trainer.trainStep([feeds]);
    stepSeconds.push((performance.now() - s0) / 1000);
    timings.push(r.timings);
    losses.push(r.loss);
  }
  const res: TuneshotScaleResult = {
    case: c.name, threads: defaultThreads(), params: model.numParams(), trainable: trainable.reduce((a, p) => a + model.params.get(p.name)!.data.length, 0),
    step_seconds: stepSeconds, timings, warmup_seconds: warmup, init_seconds: initSeconds,
    rss_after_init_gb: rssInit / 1e9, peak_rss_gb: rssBytes().peak / 1e9, losses,
  };
  console.log(JSON.stringify(res));
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
