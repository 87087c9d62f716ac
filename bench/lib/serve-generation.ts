// The generation part of `npm run bench:serve`: POST /v1/completions on a decoder (BENCH_LM, default
// the embedded tuneshot-base-lm), greedy, max_tokens 64, the bench's SST-2 sentences as prompts, by
// 1 and 4 clients in a closed loop for BENCH_GEN_SECONDS (default 20) each, with `stream: true`
// and without (0 seconds skips it). Reported per run: requests/s,
// completion tokens/s (the usage the server reports), time to the first text (streamed: the
// first non-empty chunk; not streamed: the whole answer) and latency, p50, and the server process's
// CPU time per generated token (from /proc: unlike the rates, it barely moves when other processes
// share the CPU).
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { startServe, stopServe } from './serve-process.js';

export interface GenerationFigures { rps: number; tokens_per_s: number; ttft_p50_ms: number; p50_ms: number; cpu_ms_per_token: number; errors: number }

/** User + system CPU time of a process in ms (Linux /proc; NaN elsewhere). */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime in clock ticks of 10 ms (USER_HZ 100)
  } catch {
    return NaN;
  }
}

const MAX_TOKENS = 64;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
};

interface One { ms: number; firstMs: number; tokens: number }

/** One request; for streams, reads the events as they come and takes the tokens from the usage chunk. */
async function complete(url: string, prompt: string, stream: boolean): Promise<One> {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'lm', prompt, max_tokens: MAX_TOKENS, temperature: 0, stream, ...(stream ? { stream_options: { include_usage: true } } : {}) }),
  });
  if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
  if (!stream) {
    const body = (await res.json()) as { usage: { completion_tokens: number } };
    const ms = performance.now() - t0;
    return { ms, firstMs: ms, tokens: body.usage.completion_tokens };
  }
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '', firstMs = NaN, tokens = -1, textChunks = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += value;
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const data = buffered.slice(6, end); // "data: "
      buffered = buffered.slice(end + 2);
      if (data === '[DONE]') continue;
      const chunk = JSON.parse(data) as { choices: { text: string }[]; usage?: { completion_tokens: number } | null };
      if (chunk.choices[0]?.text) {
        textChunks++;
        if (Number.isNaN(firstMs)) firstMs = performance.now() - t0;
      }
      if (chunk.usage) tokens = chunk.usage.completion_tokens;
    }
  }
  // A server without stream_options (tuneshot before it streamed) sends no usage chunk but one text
  // chunk per token: count those, to compare with it.
  if (tokens < 0) tokens = textChunks;
  return { ms: performance.now() - t0, firstMs: Number.isNaN(firstMs) ? performance.now() - t0 : firstMs, tokens };
}

interface Raw { done: One[]; errors: number; seconds: number; cpuMs: number }

async function closedLoop(url: string, pid: number | undefined, prompts: string[], stream: boolean, clients: number, seconds: number, into: Raw): Promise<void> {
  let next = 0;
  const cpu0 = cpuMs(pid);
  const t0 = performance.now(), until = t0 + seconds * 1000;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < until) {
      try {
        into.done.push(await complete(url, prompts[next++ % prompts.length]!, stream));
      } catch {
        into.errors++;
      }
    }
  }));
  into.seconds += (performance.now() - t0) / 1000;
  into.cpuMs += cpuMs(pid) - cpu0;
}

function figures(r: Raw): GenerationFigures {
  const tokens = r.done.reduce((a, d) => a + d.tokens, 0);
  return {
    rps: Number((r.done.length / r.seconds).toFixed(2)),
    tokens_per_s: Number((tokens / r.seconds).toFixed(1)),
    ttft_p50_ms: Math.round(median(r.done.map((d) => d.firstMs))),
    p50_ms: Math.round(median(r.done.map((d) => d.ms))),
    cpu_ms_per_token: Number((r.cpuMs / tokens).toFixed(2)),
    errors: r.errors,
  };
}

const ROUNDS = 4;

/**
 * Runs every (stream, clients) pair against one server; keys "stream_c1", "no_stream_c4", … The
 * `seconds` of each pair are cut into rounds that alternate streamed and not, so that both see the
 * same machine load (other processes share the CPU).
 */
export async function benchGeneration(model: string, prompts: string[], seconds: number, concurrency: readonly number[], log: (s: string) => void): Promise<Record<string, GenerationFigures>> {
  const { url, child } = await startServe(['--model', `lm=${model}`]);
  const out: Record<string, GenerationFigures> = {};
  try {
    for (const p of prompts.slice(0, 4)) await complete(url, p, false); // warm-up: ONNX sessions
    for (const c of concurrency) {
      const raw: Record<'stream' | 'no_stream', Raw> = { stream: { done: [], errors: 0, seconds: 0, cpuMs: 0 }, no_stream: { done: [], errors: 0, seconds: 0, cpuMs: 0 } };
      for (let round = 0; round < ROUNDS; round++) {
        for (const stream of round % 2 ? [true, false] : [false, true]) await closedLoop(url, child.pid, prompts, stream, c, seconds / ROUNDS, raw[stream ? 'stream' : 'no_stream']);
      }
      for (const mode of ['no_stream', 'stream'] as const) {
        const f = (out[`${mode}_c${c}`] = figures(raw[mode]));
        log(`  ${mode}_c${c}: ${f.rps} req/s, ${f.tokens_per_s} tokens/s, first text p50 ${f.ttft_p50_ms} ms, p50 ${f.p50_ms} ms, server CPU ${f.cpu_ms_per_token} ms/token, errors ${f.errors}`);
      }
    }
  } finally {
    await stopServe(child);
  }
  return out;
}

const CLIENTS = [1, 4] as const;

/** Runs the generation part and prints its table; returns its figures (empty when skipped). */
export async function generationBench(prompts: string[], log: (s: string) => void): Promise<Record<string, GenerationFigures>> {
  const model = process.env['BENCH_LM'] ?? 'tuneshot-base-lm';
  const seconds = Number(process.env['BENCH_GEN_SECONDS'] ?? 20);
  if (!(seconds > 0)) return {};
  log(`generation: ${model}, greedy, max_tokens ${MAX_TOKENS}, ${seconds} s a run`);
  const results = await benchGeneration(model, prompts, seconds, CLIENTS, log);
  const rows = [['stream', 'clients', 'req/s', 'tokens/s', 'first text p50 ms', 'p50 ms', 'server CPU ms/token', 'errors']];
  for (const c of CLIENTS) {
    for (const stream of [false, true]) {
      const f = results[`${stream ? 'stream' : 'no_stream'}_c${c}`]!;
      rows.push([stream ? 'yes' : 'no', String(c), String(f.rps), String(f.tokens_per_s), String(f.ttft_p50_ms), String(f.p50_ms), String(f.cpu_ms_per_token), String(f.errors)]);
    }
  }
  const ratio = (c: number, k: 'tokens_per_s' | 'cpu_ms_per_token') => (results[`stream_c${c}`]![k] / results[`no_stream_c${c}`]![k]).toFixed(2);
  const ratios = CLIENTS.map((c) => `c${c} tokens/s ${ratio(c, 'tokens_per_s')}x, CPU/token ${ratio(c, 'cpu_ms_per_token')}x`).join('; ');
  console.log(`/v1/completions on ${model}, ${seconds} s a run (rounds alternating streamed and not), ${cpus().length} CPUs, load avg ${loadavg()[0]!.toFixed(2)}; streamed/not: ${ratios}`);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log([line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n'));
  return results;
}
