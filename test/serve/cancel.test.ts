// Work nobody waits for is cancelled: when a client disconnects (streaming or not) or the request
// times out, the generation stops at its next token and the request's slot is free at once. Real
// decoders (tuneshot's engine, chain-lm.ts) that would otherwise write 800 tokens; each test
// checks the generation itself ended early, the queue is empty, and the next request is served.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { serve, serverMetrics, type RunningServer } from '../../src/serve/server.js';
import { ApiError } from '../../src/serve/errors.js';
import { Batcher } from '../../src/serve/batcher.js';
import type { PredictInput, Prediction } from '../../src/predictor.js';
import type { BuiltinLanguageModel } from '../../src/icl/backends/builtin.js';
import { chainLanguageModel, recording, type Recorded } from './chain-lm.js';

const LONG = 800;
let lm: BuiltinLanguageModel;
let runs: Recorded[];

before(async () => {
  ({ lm, runs } = recording(await chainLanguageModel({ text: 'abcdefghijklmnopqrstuvwxyz', start: 'Ġcat', then: 'repeat' })));
  await lm.generate('the cat', { maxTokens: 2 }); // build the ONNX session once
});

async function withServer(options: { queueLimit?: number; timeoutMs?: number }, body: (s: RunningServer, client: OpenAI) => Promise<void>): Promise<void> {
  const s = await serve({ port: 0, languageModels: { cycle: lm }, maxTokens: LONG, ...options });
  try {
    await body(s, new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'unused', maxRetries: 0 }));
  } finally {
    await s.close();
  }
}

const metric = (s: RunningServer, re: RegExp) => Number(re.exec(serverMetrics(s.app).render())?.[1] ?? 0);
const queueDepth = (s: RunningServer) => metric(s, /tuneshot_queue_depth (\d+)/);

/** Waits until the generation has settled one way or the other; returns it. */
async function settled(run: Recorded, limitMs = 10_000): Promise<Recorded> {
  const t0 = performance.now();
  while (run.outcome === 'running') {
    if (performance.now() - t0 > limitMs) assert.fail(`generation still running ${limitMs} ms after its client left (${run.pieces} tokens)`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return run;
}

function assertStoppedEarly(run: Recorded, code: string): void {
  assert.equal(run.outcome, 'cancelled');
  assert.ok(run.reason instanceof ApiError && run.reason.code === code, `cancelled for ${String(run.reason)}`);
  assert.ok(run.pieces < LONG / 2, `the generation went on to ${run.pieces} of ${LONG} tokens`);
}

async function nextRequestServed(client: OpenAI): Promise<void> {
  const c = await client.completions.create({ model: 'cycle', prompt: 'the cat', max_tokens: 3 });
  assert.equal(c.choices[0]!.text, 'abc');
}

test('a streaming client that disconnects stops the generation and frees its slot', async () => {
  await withServer({}, async (s, client) => {
    for (const api of ['completions', 'chat'] as const) {
      const n = runs.length;
      const stream = api === 'completions'
        ? await client.completions.create({ model: 'cycle', prompt: 'the cat', max_tokens: LONG, stream: true })
        : await client.chat.completions.create({ model: 'cycle', messages: [{ role: 'user', content: 'the cat' }], max_tokens: LONG, stream: true });
      let received = 0;
      for await (const chunk of stream as AsyncIterable<{ choices: unknown[] }>) {
        if (++received === 5) break; // the openai client aborts the request
        assert.ok(chunk.choices.length > 0);
      }
      assertStoppedEarly(await settled(runs[n]!), 'client_closed');
      assert.equal(queueDepth(s), 0);
    }
    assert.equal(metric(s, /tuneshot_cancelled_total\{reason="client_closed"\} (\d+)/), 2);
    await nextRequestServed(client);
  });
});

test('a non-streaming client that disconnects stops the generation', async () => {
  await withServer({}, async (s, client) => {
    const n = runs.length;
    const ac = new AbortController();
    const pending = client.completions.create({ model: 'cycle', prompt: 'the cat', max_tokens: LONG }, { signal: ac.signal });
    while (!runs[n] || runs[n]!.pieces < 5) await new Promise((r) => setTimeout(r, 2));
    ac.abort();
    await assert.rejects(pending);
    assertStoppedEarly(await settled(runs[n]!), 'client_closed');
    assert.equal(queueDepth(s), 0);
    await nextRequestServed(client);
  });
});

test('--timeout-ms: 504 (or an error event once streaming) and the generation stops', async () => {
  await withServer({ timeoutMs: 150 }, async (s, client) => {
    let n = runs.length;
    const r = await fetch(`${s.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'cycle', prompt: 'the cat', max_tokens: LONG }),
    });
    assert.equal(r.status, 504);
    assert.match(((await r.json()) as { error: { message: string } }).error.message, /timed out after 150 ms/);
    assertStoppedEarly(await settled(runs[n]!), 'timeout');

    n = runs.length;
    const stream = await client.chat.completions.create({ model: 'cycle', messages: [{ role: 'user', content: 'the cat' }], max_tokens: LONG, stream: true });
    let content = '';
    await assert.rejects(
      (async () => {
        for await (const c of stream) content += c.choices[0]?.delta.content ?? '';
      })(),
      (e: unknown) => e instanceof OpenAI.APIError && /timed out after 150 ms/.test(e.message),
    );
    assertStoppedEarly(await settled(runs[n]!), 'timeout');
    assert.ok(content.length > 0 && content.length < LONG, `streamed ${content.length} characters before the timeout`);
    assert.equal(metric(s, /tuneshot_cancelled_total\{reason="timeout"\} (\d+)/), 2);
    assert.equal(queueDepth(s), 0);
  });
});

test('--queue-limit 2: two disconnected streams do not make the next request wait or get 429', async () => {
  await withServer({ queueLimit: 2 }, async (s, client) => {
    const n = runs.length;
    const acs = [new AbortController(), new AbortController()];
    const streams = await Promise.all(acs.map((ac) => client.completions.create({ model: 'cycle', prompt: 'the cat', max_tokens: LONG, stream: true }, { signal: ac.signal })));
    // Both are generating: read a chunk of each, then leave.
    for (const st of streams) await st[Symbol.asyncIterator]().next();
    assert.equal(queueDepth(s), 2);
    acs.forEach((ac) => ac.abort());
    const t0 = performance.now();
    await nextRequestServed(client);
    const ms = performance.now() - t0;
    for (const run of runs.slice(n, n + 2)) assertStoppedEarly(await settled(run), 'client_closed');
    assert.equal(metric(s, /tuneshot_rejected_total (\d+)/), 0);
    assert.equal(queueDepth(s), 0);
    assert.ok(ms < 5000, `the next request took ${ms} ms`);
  });
});

test('a classify request cancelled while queued in the batcher leaves the queue at once', async () => {
  const calls: string[][] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const clf = {
    id: 'gated', labels: ['a', 'b'],
    predict: async (inputs: PredictInput[]): Promise<Prediction[]> => {
      calls.push(inputs.map((i) => i.text));
      if (calls.length === 1) await gate;
      return inputs.map(() => ({ label: 'a', probs: { a: 1, b: 0 } }));
    },
  };
  const batcher = new Batcher(clf, { maxBatch: 8, waitMs: 0 });
  const running = batcher.submit([{ text: 'first' }]);
  const ac = new AbortController();
  const queued = batcher.submit([{ text: 'abandoned' }], ac.signal);
  const kept = batcher.submit([{ text: 'kept' }]);
  ac.abort(new Error('client left'));
  await assert.rejects(queued, /client left/);
  release();
  await Promise.all([running, kept]);
  assert.deepEqual(calls, [['first'], ['kept']]);
});
