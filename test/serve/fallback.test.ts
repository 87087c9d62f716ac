// Servers without per-token text (no echo logprobs): the openai backend falls back to chat
// generation mapped onto the label set. Also: chat templates are applied when the model has one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sentimentFixture } from '../fixtures/cue-word-lm.js';
import { serve } from '../../src/serve/server.js';
import { OpenAILanguageModel } from '../../src/icl/backends/openai.js';
import type { LanguageModel } from '../../src/icl/language-model.js';

test('openai backend falls back to generation scoring when echo logprobs are unavailable', async () => {
  const fx = sentimentFixture();
  // The same model without detokenize: the server can only echo the prompt as one token.
  const opaque: LanguageModel = {
    id: fx.id,
    contextLength: fx.contextLength,
    tokenize: (t) => fx.tokenize(t),
    scoreContinuations: (p, c) => fx.scoreContinuations(p, c),
    generate: async (prompt, o) => {
      // Behaves like a chat model that answers with the label word.
      const g = await fx.generate(prompt.replace(/\nAssistant:$/, '').replace(/^System: [^\n]*\nUser: /, ''), { ...o, maxTokens: 1 });
      return g;
    },
  };
  const s = await serve({ port: 0, languageModels: { m: opaque } });
  try {
    const remote = new OpenAILanguageModel({ baseURL: `${s.url}/v1`, model: 'm', apiKey: 'x' });
    const scores = await remote.scoreContinuations('Input: the film was great\nLabel:', [' negative', ' positive']);
    assert.equal(remote.scoringMode, 'generate');
    assert.ok(scores[1]!.tokenLogprobs[0]! > scores[0]!.tokenLogprobs[0]!);
    const echoOnly = new OpenAILanguageModel({ baseURL: `${s.url}/v1`, model: 'm', apiKey: 'x', scoring: 'echo' });
    await assert.rejects(echoOnly.scoreContinuations('Input: x\nLabel:', [' a']), /echo\+logprobs scoring unsupported/);
  } finally {
    await s.close();
  }
});

test('chat completions apply the model chat template', async () => {
  const tpl = '{% for m in messages %}Input: {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}Label:{% endif %}';
  const fx = sentimentFixture({ chatTemplate: tpl });
  const s = await serve({ port: 0, languageModels: { m: fx } });
  try {
    const r = await fetch(`${s.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'the film was great' }], max_tokens: 1, temperature: 0 }),
    });
    assert.equal(r.status, 200);
    const j = (await r.json()) as { choices: { message: { content: string } }[]; usage: { prompt_tokens: number } };
    assert.equal(j.choices[0]!.message.content, ' positive');
    assert.equal(j.usage.prompt_tokens, (await fx.tokenize('Input: the film was great\nLabel:')).length);
  } finally {
    await s.close();
  }
});
