// finetune -> predict -> serve on models given by Hub id, end to end through a Hub on 127.0.0.1,
// with the library API: the base is downloaded once into the Hugging Face cache, the fine-tuned
// folder records the base's id and commit (config.json, model card, run registry), the result is
// published back to the Hub and loaded by id by predict and serve, which answer alike.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FakeHub } from '../fixtures/fake-hub.js';
import { folderFiles, tinyBert, tinyLlama } from '../fixtures/tiny-hub-models.js';
import { finetune, loadClassifier } from '../../src/index.js';
import { loadServedModels } from '../../src/cli/serve.js';
import { serve } from '../../src/serve/server.js';
import { trackRun } from '../../src/registry/track.js';
import { openRegistry } from '../../src/registry/registry.js';

let hub: FakeHub;
before(async () => {
  hub = await new FakeHub().start();
  process.env['HF_HOME'] = mkdtempSync(path.join(tmpdir(), 'tuneshot-hf-home-'));
  process.env['HF_ENDPOINT'] = hub.url;
  process.env['TUNESHOT_HOME'] = mkdtempSync(path.join(tmpdir(), 'tuneshot-home-'));
  for (const v of ['HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'HF_TOKEN', 'HF_HUB_OFFLINE']) delete process.env[v];
});
after(() => hub.close());

const train = [
  { text: 'i love this film it is great', label: 'positive' }, { text: 'a good movie', label: 'positive' },
  { text: 'great great film', label: 'positive' }, { text: 'i love it', label: 'positive' },
  { text: 'i hate this movie', label: 'negative' }, { text: 'a bad film', label: 'negative' },
  { text: 'bad bad movie', label: 'negative' }, { text: 'i hate it', label: 'negative' },
];
const queries = ['the film was great', 'what a bad movie', 'i love the cat'];

test('finetune -> predict -> serve with models given by Hub id', { timeout: 180_000 }, async () => {
  const base = hub.addRepo('org/tiny-bert', (await tinyBert(3)).files);
  const lmCommit = hub.addRepo('org/tiny-llama', (await tinyLlama(3)).files);
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'tuneshot-e2e-')), 'sentiment');

  // Fine-tune the Hub model, recorded in the run registry like the CLI does it.
  const r = await trackRun('finetune', { model: 'org/tiny-bert' }, [], [out], () => finetune({
    model: 'org/tiny-bert', train, method: 'full', epochs: 3, batchSize: 4, lr: 3e-3, quiet: true, out, seed: 1,
  }), (x) => ({ steps: x.steps }));
  assert.equal(r.steps, 6);
  const config = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8'));
  assert.deepEqual(config.tuneshot_base_model, { id: 'org/tiny-bert', source: 'hub', revision: 'main', commit: base, endpoint: hub.url });
  assert.deepEqual(config.architectures, ['BertForSequenceClassification']);
  const card = readFileSync(path.join(out, 'README.md'), 'utf8');
  assert.match(card, /^---\nbase_model: org\/tiny-bert\nlibrary_name: tuneshot\npipeline_tag: text-classification\n/);
  assert.ok(card.includes(`at commit \`${base}\` (revision \`main\`)`), card);
  const reg = openRegistry();
  try {
    const run = reg.listRuns({ kind: 'finetune' })[0]!;
    assert.equal(run.status, 'succeeded');
    assert.deepEqual(run.config['hubModels'], [{ id: 'org/tiny-bert', revision: 'main', commit: base }]);
  } finally {
    reg.close();
  }

  // Predict locally, then publish the fine-tuned folder and predict by Hub id: same answers.
  const local = await (await loadClassifier(out)).predict(queries.map((text) => ({ text })));
  hub.addRepo('org/tiny-bert-sentiment', await folderFiles(out));
  const byId = await loadClassifier('org/tiny-bert-sentiment');
  assert.equal(byId.model.name, 'org/tiny-bert-sentiment');
  const remote = await byId.predict(queries.map((text) => ({ text })));
  assert.deepEqual(remote, local);
  assert.ok(new Set(local.map((p) => p.label)).size >= 1 && local.every((p) => Math.abs(p.probs['positive']! + p.probs['negative']! - 1) < 1e-5));

  // Serve the classifier and a decoder, both by Hub id, over HTTP.
  const loaded = await loadServedModels(['sentiment=org/tiny-bert-sentiment', 'lm=org/tiny-llama@' + lmCommit]);
  const srv = await serve({ port: 0, classifiers: loaded.classifiers, languageModels: loaded.languageModels });
  try {
    const res = await fetch(`${srv.url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'sentiment', input: queries }) });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { data: Array<{ label: string; probs: Record<string, number> }> };
    assert.deepEqual(body.data.map((d) => d.label), local.map((p) => p.label));
    body.data.forEach((d, i) => assert.ok(Math.abs(d.probs['positive']! - local[i]!.probs['positive']!) < 1e-6));
    const completion = await fetch(`${srv.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'lm', prompt: 'hello world', max_tokens: 3, temperature: 0 }) });
    assert.equal(completion.status, 200);
    const c = (await completion.json()) as { choices: Array<{ text: string }> };
    assert.equal(typeof c.choices[0]!.text, 'string');
  } finally {
    await srv.close();
    await loaded.dispose();
  }
  assert.ok(hub.requests('cdn').every((q) => q.authorization === undefined));
});
