// Token streaming on /v1/completions and /v1/chat/completions, through the official openai client's
// streaming iterator, against real decoders (tuneshot's engine) whose output is fixed by their
// weights (chain-lm.ts): chunks leave while the model is still generating, one per token; multi-byte
// characters split across tokens and stop sequences never leak half-done into the stream;
// stream_options.include_usage adds a usage chunk. Also: an empty prompt starts from BOS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { serve, serverMetrics, type RunningServer } from '../../src/serve/server.js';
import { sentimentFixture } from '../fixtures/cue-word-lm.js';
import { chainLanguageModel, recording, type Recorded } from './chain-lm.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz';
const TEMPLATE = '{% for m in messages %}{{ m.content }}{% endfor %}';
let srv: RunningServer;
let client: OpenAI;
let cycleRuns: Recorded[];
let promptTokens = 0; // of "the cat"

before(async () => {
  const cycle = recording(await chainLanguageModel({ text: ALPHABET, start: 'Ġcat', then: 'repeat', chatTemplate: TEMPLATE }));
  cycleRuns = cycle.runs;
  promptTokens = (await cycle.lm.tokenize('the cat')).length;
  srv = await serve({
    port: 0,
    maxTokens: 600,
    languageModels: {
      cycle: cycle.lm,
      // "é😀中" is 9 bytes, one token each: every character is split across 2-4 tokens.
      utf8: await chainLanguageModel({ text: 'é😀中', start: 'Ġcat', then: 'eos', chatTemplate: TEMPLATE }),
      stops: await chainLanguageModel({ text: 'abc|def', start: 'Ġcat', then: 'eos' }),
      // Without a chat template: "User: …\nAssistant:" ends in ":"; the answer's leading space is dropped.
      plain: await chainLanguageModel({ text: ' xyz', start: ':', then: 'eos' }),
      fromBos: await chainLanguageModel({ text: 'abc', start: '<|endoftext|>', then: 'eos', chatTemplate: TEMPLATE }),
      noBos: sentimentFixture({ chatTemplate: TEMPLATE }),
    },
  });
  client = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(async () => {
  await srv?.close();
});

const queueDepth = () => Number(/tuneshot_queue_depth (\d+)/.exec(serverMetrics(srv.app).render())![1]);

test('completions stream token by token: the first chunk arrives while the model is still generating', async () => {
  const runsBefore = cycleRuns.length;
  const stream = await client.completions.create({ model: 'cycle', prompt: 'the cat', max_tokens: 500, temperature: 0, stream: true, stream_options: { include_usage: true } });
  const texts: string[] = [];
  let firstAt = 0, depthAtFirst = -1;
  let finish: string | null = null;
  let usage: OpenAI.CompletionUsage | null | undefined;
  for await (const chunk of stream) {
    const text = chunk.choices[0]?.text ?? '';
    if (text && !firstAt) {
      firstAt = performance.now();
      depthAtFirst = queueDepth();
    }
    if (text) texts.push(text);
    finish = chunk.choices[0]?.finish_reason ?? finish;
    if (chunk.usage) usage = chunk.usage;
    else assert.equal(chunk.usage, null, 'with include_usage, chunks before the last carry usage: null');
  }
  const run = cycleRuns[runsBefore]!;
  assert.equal(run.outcome, 'done');
  assert.ok(firstAt < run.endedAt!, `first chunk at ${firstAt}, generation ended at ${run.endedAt}: the answer was buffered`);
  assert.equal(depthAtFirst, 1, 'the request was still admitted (generating) when its first chunk arrived');
  assert.equal(texts.length, 500, 'one chunk per generated token');
  assert.equal(texts.join(''), ALPHABET.repeat(20).slice(0, 500));
  assert.equal(finish, 'length');
  assert.deepEqual(usage, { prompt_tokens: promptTokens, completion_tokens: 500, total_tokens: promptTokens + 500 });
  const whole = await client.completions.create({ model: 'cycle', prompt: 'the cat', max_tokens: 500, temperature: 0 });
  assert.equal(whole.choices[0]!.text, texts.join(''));
});

test('chat completions stream: role chunk, content while generating, finish, usage, then [DONE]', async () => {
  const runsBefore = cycleRuns.length;
  const stream = await client.chat.completions.create({
    model: 'cycle', messages: [{ role: 'user', content: 'the cat' }], max_tokens: 300, stream: true, stream_options: { include_usage: true },
  });
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  let firstContentAt = 0;
  for await (const chunk of stream) {
    if (chunk.choices[0]?.delta.content && !firstContentAt) firstContentAt = performance.now();
    chunks.push(chunk);
  }
  const run = cycleRuns[runsBefore]!;
  assert.ok(firstContentAt > 0 && firstContentAt < run.endedAt!, 'the first content chunk arrived before the generation ended');
  assert.deepEqual(chunks[0]!.choices[0]!.delta, { role: 'assistant', content: '' });
  const content = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
  assert.equal(content, ALPHABET.repeat(12).slice(0, 300));
  assert.equal(chunks.filter((c) => c.choices[0]?.delta.content).length, 300);
  const last = chunks.at(-1)!;
  assert.deepEqual(last.choices, []);
  assert.deepEqual(last.usage, { prompt_tokens: promptTokens, completion_tokens: 300, total_tokens: promptTokens + 300 });
  assert.equal(chunks.at(-2)!.choices[0]!.finish_reason, 'length');
  assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0]!.id));
});

test('the raw event stream is OpenAI SSE ending with data: [DONE]; no usage chunk unless asked', async () => {
  const r = await fetch(`${srv.url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'utf8', prompt: 'the cat', max_tokens: 20, stream: true }),
  });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type')!, /^text\/event-stream/);
  const events = (await r.text()).split('\n\n').filter((e) => e !== '');
  assert.ok(events.every((e) => e.startsWith('data: ')));
  assert.equal(events.at(-1), 'data: [DONE]');
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)) as { choices: { text: string; finish_reason: string | null }[]; usage?: unknown });
  assert.ok(chunks.every((c) => c.usage === undefined && c.choices.length === 1));
  assert.deepEqual(chunks.map((c) => c.choices[0]!.text), ['é', '😀', '中', '']);
  assert.equal(chunks.at(-1)!.choices[0]!.finish_reason, 'stop');
});

test('characters split across tokens reach the stream whole, never as U+FFFD', async () => {
  const chat = await client.chat.completions.create({ model: 'utf8', messages: [{ role: 'user', content: 'the cat' }], max_tokens: 20, stream: true });
  const pieces: string[] = [];
  for await (const c of chat) if (c.choices[0]?.delta.content) pieces.push(c.choices[0].delta.content);
  assert.deepEqual(pieces, ['é', '😀', '中']);
  assert.ok(!pieces.join('').includes('\uFFFD'));
  const whole = await client.chat.completions.create({ model: 'utf8', messages: [{ role: 'user', content: 'the cat' }], max_tokens: 20 });
  assert.equal(whole.choices[0]!.message.content, 'é😀中');
  assert.equal(whole.usage!.completion_tokens, 9);
});

test('a stop sequence is held back while it may still complete, and never streamed', async () => {
  const stream = await client.completions.create({ model: 'stops', prompt: 'the cat', max_tokens: 20, stop: ['|d'], stream: true });
  const pieces: string[] = [];
  let finish: string | null = null;
  for await (const c of stream) {
    if (c.choices[0]!.text) pieces.push(c.choices[0]!.text);
    finish = c.choices[0]!.finish_reason ?? finish;
  }
  assert.deepEqual(pieces, ['a', 'b', 'c']);
  assert.equal(finish, 'stop');
  // "|" alone is not a stop: it goes out once "|x" cannot be "|d" any more, and the answer ends at EOS.
  const other = await client.completions.create({ model: 'stops', prompt: 'the cat', max_tokens: 20, stop: ['|e'], stream: true });
  const all: string[] = [];
  for await (const c of other) if (c.choices[0]!.text) all.push(c.choices[0]!.text);
  assert.deepEqual(all, ['a', 'b', 'c', '|d', 'e', 'f']);
});

test('chat without a template: the leading space of the answer is dropped, streamed or not', async () => {
  const messages = [{ role: 'user' as const, content: 'hi' }];
  const whole = await client.chat.completions.create({ model: 'plain', messages, max_tokens: 10 });
  assert.equal(whole.choices[0]!.message.content, 'xyz');
  const stream = await client.chat.completions.create({ model: 'plain', messages, max_tokens: 10, stream: true });
  let content = '';
  for await (const c of stream) content += c.choices[0]?.delta.content ?? '';
  assert.equal(content, 'xyz');
});

test('an empty prompt generates from the BOS token, streamed or not, in completions and chat', async () => {
  const c = await client.completions.create({ model: 'fromBos', prompt: '', max_tokens: 10 });
  assert.equal(c.choices[0]!.text, 'abc');
  assert.equal(c.usage!.prompt_tokens, 1, 'the BOS token is the prompt');
  let streamed = '';
  for await (const ch of await client.completions.create({ model: 'fromBos', prompt: '', max_tokens: 10, stream: true })) streamed += ch.choices[0]!.text;
  assert.equal(streamed, 'abc');
  const chat = await client.chat.completions.create({ model: 'fromBos', messages: [{ role: 'user', content: '' }], max_tokens: 10 });
  assert.equal(chat.choices[0]!.message.content, 'abc');
  let chatStreamed = '';
  for await (const ch of await client.chat.completions.create({ model: 'fromBos', messages: [{ role: 'user', content: '' }], max_tokens: 10, stream: true })) {
    chatStreamed += ch.choices[0]?.delta.content ?? '';
  }
  assert.equal(chatStreamed, 'abc');
});

test('an empty prompt on a model without BOS: 400 naming the field, streamed or not', async () => {
  const post = (path: string, body: unknown) => fetch(`${srv.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  for (const stream of [false, true]) {
    const r = await post('/v1/completions', { model: 'noBos', prompt: '', stream });
    assert.equal(r.status, 400);
    const { error } = (await r.json()) as { error: { message: string; param: string; code: string } };
    assert.equal(error.param, 'prompt');
    assert.equal(error.code, 'empty_prompt');
    assert.match(error.message, /^prompt: the prompt is empty and model "noBos" has no BOS token/);
    const c = await post('/v1/chat/completions', { model: 'noBos', messages: [{ role: 'user', content: '' }], stream });
    assert.equal(c.status, 400);
    const ce = ((await c.json()) as { error: { message: string; param: string } }).error;
    assert.equal(ce.param, 'messages');
    assert.match(ce.message, /^messages: the prompt is empty/);
  }
  assert.equal(queueDepth(), 0);
});

test('stream_options without stream is refused', async () => {
  const r = await fetch(`${srv.url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'utf8', prompt: 'the cat', stream_options: { include_usage: true } }),
  });
  assert.equal(r.status, 400);
  assert.equal(((await r.json()) as { error: { param: string } }).error.param, 'stream_options');
});
