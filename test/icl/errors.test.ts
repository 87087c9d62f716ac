// In-context learning failures a user can act on: an unreachable server names its URL (and says
// when the URL defaulted to api.openai.com); the candidate labels come from the demonstrations,
// never from the test set, and a test label outside them is refused before any query.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { OpenAILanguageModel } from '../../src/icl/backends/openai.js';
import { runIcl } from '../../src/icl/run.js';
import { sentimentFixture } from '../fixtures/cue-word-lm.js';

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

test('openai backend: an unreachable server is named with its URL and the cause', async () => {
  const port = await closedPort();
  const lm = new OpenAILanguageModel({ model: 'm', baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
  await assert.rejects(lm.generate('hi', { maxTokens: 1 }), (e: Error) => {
    assert.match(e.message, new RegExp(`^cannot reach http://127\\.0\\.0\\.1:${port}/v1/completions \\(ECONNREFUSED\\)$`));
    return true;
  });
});

test('openai backend: without --base-url or OPENAI_BASE_URL the error says it defaulted to api.openai.com', async () => {
  const saved = process.env.OPENAI_BASE_URL;
  delete process.env.OPENAI_BASE_URL;
  try {
    // The request never leaves the process: fetch fails as it does without a network.
    const offline = (async () => { throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } }); }) as unknown as typeof fetch;
    const lm = new OpenAILanguageModel({ model: 'gpt-4o-mini', maxRetries: 0, fetch: offline });
    await assert.rejects(lm.generate('hi', { maxTokens: 1 }), (e: Error) => assert.match(e.message,
      /^cannot reach https:\/\/api\.openai\.com\/v1\/completions \(ENOTFOUND\); no --base-url or OPENAI_BASE_URL was given, so the openai backend defaulted to https:\/\/api\.openai\.com\/v1$/) ?? true);
  } finally {
    if (saved !== undefined) process.env.OPENAI_BASE_URL = saved;
  }
});

const mk = (w: string, label: string) => ({ text: `the movie is ${w}`, label });
const demos = [mk('great', 'positive'), mk('bad', 'negative'), mk('lovely', 'positive'), mk('awful', 'negative')];

test('ICL candidate labels: from the demonstrations, never from the test set', async () => {
  const lm = sentimentFixture();
  const r = await runIcl({ lm, demos, data: [mk('good', 'positive'), mk('boring', 'negative')], k: 2, seed: 1 });
  assert.deepEqual(r.program.labels, ['negative', 'positive']);
  // A test label no demonstration has would have become a candidate (a leak of the test set).
  await assert.rejects(runIcl({ lm, demos, data: [mk('fine', 'neutral')], k: 2 }),
    /runIcl: data example 1 has the label "neutral", which is not a candidate label \(negative, positive\)/);
  assert.equal(lm.calls.scoreContinuations, 2, 'refused before any query');
});
