import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { sentimentFixture } from '../fixtures/cue-word-lm.js';
import { serve, serverMetrics, type RunningServer } from '../../src/serve/server.js';
import { IclClassifier } from '../../src/icl/classify.js';
import { createPromptProgram } from '../../src/icl/prompt.js';
import { OpenAILanguageModel } from '../../src/icl/backends/openai.js';
import { RequestTimeoutError } from '../../src/icl/backends/http.js';
import { runIcl } from '../../src/icl/run.js';

const KEY = 'test-key-123';
const mk = (w: string, label: string) => ({ text: `the movie is ${w}`, label });
const demos = [mk('great', 'positive'), mk('good', 'positive'), mk('bad', 'negative'), mk('awful', 'negative')];
const data = ['awful', 'terrible', 'great', 'lovely'].map((w, i) => mk(w, i < 2 ? 'negative' : 'positive'));

const lm = sentimentFixture();
const program = createPromptProgram({ labels: ['negative', 'positive'], k: 2, calibrate: true, demonstrations: demos });
const clf = new IclClassifier({ lm, program });
let predictCalls = 0;
const countingClf = {
  id: clf.id,
  labels: clf.labels,
  predict: async (inputs: { text: string }[]) => {
    predictCalls++;
    await new Promise((r) => setTimeout(r, 5));
    return clf.predict(inputs);
  },
};

let srv: RunningServer;
before(async () => {
  srv = await serve({
    port: 0,
    apiKey: KEY,
    languageModels: { fx: lm },
    classifiers: { sentiment: countingClf },
    batching: { maxBatch: 16, waitMs: 20 },
    bodyLimit: 64 * 1024,
    maxTokens: 64,
  });
});
after(async () => {
  await srv.close();
});

const post = (path: string, body: unknown, key = KEY) =>
  fetch(`${srv.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

test('openai backend over loopback scores exactly like the wrapped model', async () => {
  const remote = new OpenAILanguageModel({ baseURL: `${srv.url}/v1`, apiKey: KEY, model: 'fx', contextLength: lm.contextLength });
  const prompt = 'Input: the movie is awful\nLabel:';
  const conts = [' positive', ' negative', ' very negative indeed'];
  const direct = await lm.scoreContinuations(prompt, conts);
  const viaServer = await remote.scoreContinuations(prompt, conts);
  assert.equal(remote.scoringMode, 'echo');
  assert.equal(viaServer.length, 3);
  for (let i = 0; i < 3; i++) {
    assert.equal(viaServer[i]!.tokenLogprobs.length, direct[i]!.tokenLogprobs.length);
    viaServer[i]!.tokenLogprobs.forEach((v, j) => assert.ok(Math.abs(v - direct[i]!.tokenLogprobs[j]!) < 1e-9));
  }
  assert.deepEqual((await remote.tokenize(prompt)).length, (await lm.tokenize(prompt)).length);
  const a = await runIcl({ lm, demos, data, k: 2, calibrate: true, seed: 2 });
  const b = await runIcl({ lm: remote, demos, data, k: 2, calibrate: true, seed: 2 });
  assert.deepEqual(b.predictions.map((p) => p.pred), a.predictions.map((p) => p.pred));
  const g = await remote.generate('Input: the film was great\nLabel:', { maxTokens: 3, stop: ['\n'] });
  assert.equal(g.text, ' positive');
});

test('echo+logprobs response shape: tokens, offsets, null first logprob', async () => {
  const res = await post('/v1/completions', { model: 'fx', prompt: 'Input: the film', echo: true, logprobs: 1, max_tokens: 0 });
  assert.equal(res.status, 200);
  const j = (await res.json()) as { choices: { text: string; logprobs: { tokens: string[]; token_logprobs: (number | null)[]; text_offset: number[] } }[] };
  const lp = j.choices[0]!.logprobs;
  assert.equal(j.choices[0]!.text, 'Input: the film');
  assert.deepEqual(lp.tokens, ['Input:', ' the', ' film']);
  assert.deepEqual(lp.text_offset, [0, 6, 10]);
  assert.equal(lp.token_logprobs[0], null);
  assert.ok(lp.token_logprobs.slice(1).every((v) => typeof v === 'number' && v < 0));
});

test('official openai client: models, completions, chat, streaming', async () => {
  const client = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: KEY, maxRetries: 0 });
  const models = await client.models.list();
  assert.deepEqual(models.data.map((m) => m.id).sort(), ['fx', 'sentiment']);
  const c = await client.completions.create({ model: 'fx', prompt: 'Input: the film was great\nLabel:', max_tokens: 2, temperature: 0 });
  assert.equal(c.choices[0]!.text, ' positive\n\nInput:');
  assert.equal(c.usage!.completion_tokens, 2);
  const stream = await client.completions.create({ model: 'fx', prompt: 'Input: the film was great\nLabel:', max_tokens: 2, temperature: 0, stream: true });
  let streamed = '';
  for await (const chunk of stream) streamed += chunk.choices[0]!.text;
  assert.equal(streamed, c.choices[0]!.text);
  const chat = await client.chat.completions.create({ model: 'fx', messages: [{ role: 'user', content: 'the film was great' }], max_tokens: 4, temperature: 0 });
  assert.equal(chat.choices[0]!.message.role, 'assistant');
  assert.equal(typeof chat.choices[0]!.message.content, 'string');
  const chatStream = await client.chat.completions.create({
    model: 'fx',
    messages: [{ role: 'user', content: 'the film was great' }],
    max_tokens: 4,
    temperature: 0,
    stream: true,
  });
  let chatStreamed = '';
  let finish: string | null = null;
  for await (const chunk of chatStream) {
    chatStreamed += chunk.choices[0]?.delta.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(chatStreamed, chat.choices[0]!.message.content);
  assert.ok(finish === 'stop' || finish === 'length');
});

test('concurrent classify requests are batched and all answered', async () => {
  const before = serverMetrics(srv.app).batchRequests.snapshot({ model: 'sentiment' });
  const callsBefore = predictCalls;
  const texts = Array.from({ length: 40 }, (_, i) => `the movie is ${i % 2 ? 'great' : 'awful'}`);
  const responses = await Promise.all(texts.map((t) => post('/v1/classify', { model: 'sentiment', input: t })));
  assert.ok(responses.every((r) => r.status === 200));
  const bodies = (await Promise.all(responses.map((r) => r.json()))) as { data: { label: string; probs: Record<string, number> }[] }[];
  bodies.forEach((b, i) => assert.equal(b.data[0]!.label, i % 2 ? 'positive' : 'negative'));
  const afterSnap = serverMetrics(srv.app).batchRequests.snapshot({ model: 'sentiment' });
  const batches = afterSnap.count - before.count;
  assert.equal(afterSnap.sum - before.sum, 40);
  assert.ok(batches < 40, `expected merged batches, got ${batches} for 40 requests`);
  assert.equal(predictCalls - callsBefore, batches);
  const metrics = await (await fetch(`${srv.url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } })).text();
  assert.match(metrics, /tuneshot_http_requests_total\{method="POST",route="\/v1\/classify",status="200"\} \d+/);
  assert.match(metrics, /tuneshot_batch_requests_bucket\{model="sentiment",le="16"\}/);
  assert.match(metrics, /tuneshot_queue_depth 0/);
});

test('bad requests get clear errors and the server keeps serving', async () => {
  let r = await post('/v1/completions', '{"model": "fx", "prompt": ');
  assert.equal(r.status, 400);
  r = await post('/v1/completions', { model: 'fx', prompt: 'x'.repeat(100 * 1024) });
  assert.equal(r.status, 413);
  r = await post('/v1/completions', { model: 'fx', prompt: 'hi' }, 'wrong-key');
  assert.equal(r.status, 401);
  assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'invalid_api_key');
  r = await fetch(`${srv.url}/v1/models`);
  assert.equal(r.status, 401);
  r = await post('/v1/completions', { model: '../../etc/passwd', prompt: 'hi' });
  assert.equal(r.status, 404);
  r = await post('/v1/classify', { model: 'fx', input: 'hi' });
  assert.equal(r.status, 404);
  r = await post('/v1/completions', { model: 'fx' });
  assert.equal(r.status, 400);
  assert.match(((await r.json()) as { error: { message: string } }).error.message, /prompt/);
  r = await post('/v1/completions', { model: 'fx', prompt: 'hi', max_tokens: 1000 });
  assert.equal(r.status, 400);
  r = await post('/v1/completions', { model: 'fx', prompt: 'hi', temperature: 'hot' });
  assert.equal(r.status, 400);
  r = await fetch(`${srv.url}/health`);
  assert.equal(r.status, 200);
  r = await post('/v1/classify', { model: 'sentiment', input: ['the movie is great', 'the movie is awful'] });
  assert.equal(r.status, 200);
  const j = (await r.json()) as { data: { label: string }[] };
  assert.deepEqual(j.data.map((d) => d.label), ['positive', 'negative']);
});

test('429 with Retry-After is honoured by the openai backend; timeouts fail fast', async () => {
  const slow = sentimentFixture({ delayMs: 300 });
  const s = await serve({ port: 0, languageModels: { slow }, queueLimit: 1, retryAfterSeconds: 1, timeoutMs: 5000 });
  try {
    const retries: { delayMs: number; status?: number }[] = [];
    const remote = new OpenAILanguageModel({ baseURL: `${s.url}/v1`, model: 'slow', maxRetries: 3, onRetry: (i) => retries.push(i), apiKey: 'x' });
    const first = fetch(`${s.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'slow', prompt: 'Input:', max_tokens: 1 }),
    });
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    const g = await remote.generate('Input: the film was great\nLabel:', { maxTokens: 1 });
    const waited = performance.now() - t0;
    assert.equal((await first).status, 200);
    assert.equal(g.text, ' positive');
    assert.equal(retries.length, 1);
    assert.equal(retries[0]!.status, 429);
    assert.equal(retries[0]!.delayMs, 1000);
    assert.ok(waited >= 1000, `waited only ${waited} ms`);

    const impatient = new OpenAILanguageModel({ baseURL: `${s.url}/v1`, model: 'slow', maxRetries: 0, timeoutMs: 100, apiKey: 'x' });
    const t1 = performance.now();
    await assert.rejects(impatient.generate('Input:', { maxTokens: 1 }), RequestTimeoutError);
    assert.ok(performance.now() - t1 < 290);
  } finally {
    await s.close();
  }
  const s2 = await serve({ port: 0, languageModels: { slow: sentimentFixture({ delayMs: 400 }) }, timeoutMs: 100 });
  try {
    const r = await fetch(`${s2.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'slow', prompt: 'Input:', max_tokens: 1 }),
    });
    assert.equal(r.status, 504);
  } finally {
    await s2.close();
  }
});

test('graceful shutdown finishes in-flight requests', async () => {
  const s = await serve({ port: 0, languageModels: { slow: sentimentFixture({ delayMs: 300 }) } });
  const inflight = fetch(`${s.url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'slow', prompt: 'Input: the film was great\nLabel:', max_tokens: 1, temperature: 0 }),
  });
  // Close once the request is in flight (a fixed wait is too short on a loaded machine: a connection
  // whose request is not read yet is idle, and closing closes idle connections).
  while (!/tuneshot_queue_depth 1/.test(serverMetrics(s.app).render())) await new Promise((r) => setTimeout(r, 5));
  await s.close();
  const r = await inflight;
  assert.equal(r.status, 200);
  assert.equal(((await r.json()) as { choices: { text: string }[] }).choices[0]!.text, ' positive');
  await assert.rejects(fetch(`${s.url}/health`));
});
