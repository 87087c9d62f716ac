// Models by Hub id through a Hub stood up on 127.0.0.1 (test/fixtures/fake-hub.ts), with the official
// client: the cache layout Python uses, no request once cached, offline use, and every error a user
// can meet (gated, not found, pickles only, no tokenizer, unsupported model_type, full disk,
// interrupted download resumed).
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FakeHub } from '../fixtures/fake-hub.js';
import { tinyBert } from '../fixtures/tiny-hub-models.js';
import { loadPretrained, resolvePretrained, resolveModel } from '../../src/models/index.js';
import { hubSnapshot, parseHubRef } from '../../src/hub/index.js';
import { serializeSafetensors, readSafetensorsFolder } from '../../src/formats/safetensors.js';

let hub: FakeHub;
let files: Record<string, Buffer>;
let home: string;
const cache = () => path.join(home, 'hub');
const repoDir = (id: string) => path.join(cache(), `models--${id.replace('/', '--')}`);
const hubRequests = () => hub.log.length;

before(async () => {
  hub = await new FakeHub().start();
  files = (await tinyBert()).files;
});
after(() => hub.close());
beforeEach(() => {
  // Each test gets its own empty cache; the Hub is found through HF_ENDPOINT like a user's would be.
  home = mkdtempSync(path.join(tmpdir(), 'tuneshot-hf-home-'));
  process.env['HF_HOME'] = home;
  process.env['HF_ENDPOINT'] = hub.url;
  for (const v of ['HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'HF_TOKEN', 'HF_HUB_OFFLINE', 'TRANSFORMERS_OFFLINE', 'HF_TOKEN_PATH']) delete process.env[v];
});

test('download by id: the cache layout is Python huggingface_hub\'s, only model files, and a second load makes no request', async () => {
  const commit = hub.addRepo('org/tiny-bert', {
    ...files, 'pytorch_model.bin': Buffer.alloc(2048, 1), 'README.md': '# tiny', 'onnx/model.onnx': Buffer.alloc(512, 2), 'generation_config.json': '{}',
  });
  const m = await loadPretrained('org/tiny-bert', { quiet: true });
  assert.deepEqual(m.config.origin && { ...m.config.origin, dir: undefined }, { kind: 'hub', id: 'org/tiny-bert', revision: 'main', commit, dir: undefined, endpoint: hub.url });
  assert.ok(m.tokenizer, 'tokenizer loaded');
  // refs/main holds the commit; snapshots/<commit>/<file> are relative links to blobs/<etag>.
  const repo = repoDir('org/tiny-bert');
  assert.deepEqual(readdirSync(repo).sort(), ['blobs', 'refs', 'snapshots']);
  assert.equal(readFileSync(path.join(repo, 'refs', 'main'), 'utf8'), commit);
  const snap = path.join(repo, 'snapshots', commit);
  assert.deepEqual(readdirSync(snap).sort(), ['config.json', 'generation_config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']);
  for (const f of readdirSync(snap)) {
    assert.ok(lstatSync(path.join(snap, f)).isSymbolicLink(), `${f} is a link`);
    const etag = hub.file('org/tiny-bert', commit, f).etag;
    assert.equal(readlinkSync(path.join(snap, f)), `../../blobs/${etag}`, f);
    assert.deepEqual(readFileSync(path.join(repo, 'blobs', etag)), hub.file('org/tiny-bert', commit, f).content);
  }
  // LFS blobs are named by sha256, small files by git's blob sha1, as the Hub's ETags are.
  assert.match(readlinkSync(path.join(snap, 'model.safetensors')), /blobs\/[0-9a-f]{64}$/);
  assert.match(readlinkSync(path.join(snap, 'config.json')), /blobs\/[0-9a-f]{40}$/);
  assert.equal(readdirSync(path.join(repo, 'blobs')).length, 6, 'no pickle, README or ONNX downloaded');
  assert.ok(hub.requests().some((r) => r.url.includes('cursor=')), 'the paged tree listing was followed');
  const n = hubRequests();
  const again = await loadPretrained('org/tiny-bert', { quiet: true });
  assert.equal(hubRequests(), n, 'second load: no request');
  assert.deepEqual(again.params.get('bert.embeddings.word_embeddings.weight')!.data, m.params.get('bert.embeddings.word_embeddings.weight')!.data);
  assert.equal(resolveModel('org/tiny-bert'), snap, 'the synchronous resolver finds the cached snapshot');
});

test('a pinned commit works offline and with the Hub unreachable; a branch moves only when pulled', async () => {
  const first = hub.addRepo('org/moving', files);
  await loadPretrained('org/moving', { quiet: true });
  const second = hub.addRepo('org/moving', { ...files, 'config.json': Buffer.from(JSON.stringify({ ...JSON.parse(files['config.json']!.toString()), note: 'v2' })) });
  process.env['HF_HUB_OFFLINE'] = '1';
  const n = hubRequests();
  const pinned = await loadPretrained(`org/moving@${first}`, { quiet: true });
  assert.equal((pinned.config.origin as { commit: string }).commit, first);
  assert.equal(hubRequests(), n, 'offline: no request');
  delete process.env['HF_HUB_OFFLINE'];
  // Unreachable endpoint (a closed port): the cache answers.
  process.env['HF_ENDPOINT'] = 'http://127.0.0.1:9';
  assert.equal((await resolvePretrained('org/moving', { quiet: true }) as { commit: string }).commit, first);
  const viaPull = hubSnapshot(parseHubRef('org/moving')!, { refresh: true, quiet: true });
  assert.match(String((await viaPull).unreachable), /cannot reach http:\/\/127\.0\.0\.1:9/);
  process.env['HF_ENDPOINT'] = hub.url;
  // Cached branch: used as is; a refresh asks the Hub and moves refs/main, re-downloading only what changed.
  assert.equal((await resolvePretrained('org/moving', { quiet: true }) as { commit: string }).commit, first);
  const before = hub.requests('cdn').length;
  const snap = await hubSnapshot(parseHubRef('org/moving')!, { refresh: true, quiet: true });
  assert.equal(snap.commit, second);
  assert.equal(readFileSync(path.join(repoDir('org/moving'), 'refs', 'main'), 'utf8'), second);
  assert.equal(hub.requests('cdn').length, before, 'unchanged weights are linked to the existing blob, not downloaded again');
  assert.equal(snap.downloadedBytes, hub.file('org/moving', second, 'config.json').content.length);
  assert.deepEqual(readdirSync(path.join(repoDir('org/moving'), 'snapshots')).sort(), [first, second].sort());
});

test('HF_HUB_OFFLINE=1 with nothing cached: a clear error naming the id and the cache folder, no request', async () => {
  hub.addRepo('org/never-fetched', files);
  process.env['HF_HUB_OFFLINE'] = 'true';
  const n = hubRequests();
  await assert.rejects(loadPretrained('org/never-fetched@v1'), (e: Error) => {
    assert.equal(e.message.split('\n').length, 1);
    assert.ok(e.message.includes('org/never-fetched@v1') && e.message.includes(cache()) && e.message.includes('HF_HUB_OFFLINE'), e.message);
    return true;
  });
  assert.equal(hubRequests(), n);
  delete process.env['HF_HUB_OFFLINE'];
  process.env['HF_ENDPOINT'] = 'http://127.0.0.1:9';
  await assert.rejects(loadPretrained('org/never-fetched'), /org\/never-fetched: cannot reach http:\/\/127\.0\.0\.1:9 .*not in the Hugging Face cache/);
});

test('gated repos: no token, a token without access and an invalid token each get a one-line error; the token never reaches the CDN', async () => {
  hub.addRepo('org/gated', files, { gated: true });
  await assert.rejects(loadPretrained('org/gated', { quiet: true }), /org\/gated is a gated model: accept its licence at http:\/\/127\.0\.0\.1:\d+\/org\/gated and set HF_TOKEN/);
  process.env['HF_TOKEN'] = 'hf_someoneElse';
  await assert.rejects(loadPretrained('org/gated', { quiet: true }), /gated model: accept its licence .* \(the Hub refused the current HF_TOKEN for it\)/);
  process.env['HF_TOKEN'] = 'hf_invalidToken';
  await assert.rejects(loadPretrained('org/gated', { quiet: true }), /refused HF_TOKEN for org\/gated \(401\).*gated or private/);
  process.env['HF_TOKEN'] = 'not-a-token';
  await assert.rejects(loadPretrained('org/gated', { quiet: true }), /HF_TOKEN is not a Hugging Face access token/);
  process.env['HF_TOKEN'] = hub.validToken;
  const m = await loadPretrained('org/gated', { quiet: true });
  assert.equal(m.config.modelType, 'bert');
  const hubAuth = hub.requests('hub').filter((r) => r.authorization === `Bearer ${hub.validToken}`);
  assert.ok(hubAuth.length > 0, 'the Hub got the token');
  assert.ok(hub.requests('cdn').every((r) => r.authorization === undefined), 'the CDN never got it');
});

test('repo and revision not found', async () => {
  hub.addRepo('org/exists', files);
  await assert.rejects(loadPretrained('org/does-not-exist', { quiet: true }), { message: /^model "org\/does-not-exist" not found on http:\/\/127\.0\.0\.1:\d+ \(if it is private or gated, set HF_TOKEN\)$/ });
  await assert.rejects(loadPretrained('nosuchmodel', { quiet: true }), /model "nosuchmodel" not found: give a Hugging Face model folder, one of the embedded models .* \(no such folder, and model "nosuchmodel" not found on/);
  await assert.rejects(loadPretrained('org/exists@v9', { quiet: true }), /org\/exists has no revision "v9"/);
  await assert.rejects(loadPretrained('./no/such/folder'), /model "\.\/no\/such\/folder" not found/);
});

test('weights only as pytorch_model.bin: an error naming the fix, nothing downloaded', async () => {
  const { 'model.safetensors': _, ...rest } = files;
  hub.addRepo('org/pickles', { ...rest, 'pytorch_model.bin': Buffer.alloc(4096, 7) });
  await assert.rejects(loadPretrained('org/pickles', { quiet: true }), /org\/pickles \(commit [0-9a-f]{12}\) has its weights only as pytorch_model\.bin, not safetensors; tuneshot never loads pickles: pin a revision that has model\.safetensors .*org\/pickles@refs\/pr\/<n>.*safe_serialization=True/);
  assert.ok(!hub.requests().some((r) => r.url.includes('pytorch_model.bin')));
  assert.ok(!existsSync(path.join(repoDir('org/pickles'), 'blobs')), 'no blob written');
});

test('no tokenizer.json, and an unsupported model_type (stopped before the weights download)', async () => {
  const { 'tokenizer.json': _, ...noTok } = files;
  hub.addRepo('org/no-tokenizer', noTok);
  await assert.rejects(loadPretrained('org/no-tokenizer', { quiet: true }), /org\/no-tokenizer \(commit [0-9a-f]{12}\) has no tokenizer\.json .*save_pretrained/);
  hub.addRepo('org/t5', { ...files, 'config.json': JSON.stringify({ model_type: 't5', d_model: 32 }) });
  await assert.rejects(loadPretrained('org/t5', { quiet: true }), /org\/t5: config\.json: unsupported model_type "t5"; supported: bert, /);
  assert.ok(!hub.requests('cdn').some((r) => r.url.includes('t5')) && !hub.requests().some((r) => r.url.startsWith('/org/t5/resolve') && r.url.endsWith('model.safetensors')), 'weights never requested');
});

test('an interrupted download leaves no half file in snapshots/ and the next call resumes it with a Range request', async () => {
  const commit = hub.addRepo('org/interrupted', files);
  const size = files['model.safetensors']!.length;
  hub.cutNext = { path: 'model.safetensors', bytes: 20_000 };
  await assert.rejects(loadPretrained('org/interrupted', { quiet: true }), /download of org\/interrupted model\.safetensors was interrupted .*run again to resume/);
  const etag = hub.file('org/interrupted', commit, 'model.safetensors').etag;
  const snap = path.join(repoDir('org/interrupted'), 'snapshots', commit);
  assert.ok(!existsSync(path.join(snap, 'model.safetensors')), 'no partial file in snapshots/');
  const partial = path.join(repoDir('org/interrupted'), 'blobs', `${etag}.incomplete`);
  assert.equal(statSync(partial).size, 20_000);
  assert.throws(() => resolveModel('org/interrupted'), /not in the Hugging Face cache yet/);
  const m = await loadPretrained('org/interrupted', { quiet: true });
  assert.equal(m.config.modelType, 'bert');
  const ranged = hub.requests('cdn').filter((r) => r.url.startsWith(`/blobs/${etag}`) && r.range === `bytes=20000-${size - 1}`);
  assert.equal(ranged.length, 1, 'resumed from byte 20000');
  assert.ok(!existsSync(partial));
  assert.deepEqual(readFileSync(path.join(snap, 'model.safetensors')), files['model.safetensors']);
});

test('a full disk: a one-line error naming the cache and the fix; the snapshot stays without the file', async () => {
  if (!existsSync('/dev/full')) return;
  const commit = hub.addRepo('org/disk-full', files);
  const etag = hub.file('org/disk-full', commit, 'model.safetensors').etag;
  const blobs = path.join(repoDir('org/disk-full'), 'blobs');
  await import('node:fs/promises').then((f) => f.mkdir(blobs, { recursive: true }));
  symlinkSync('/dev/full', path.join(blobs, `${etag}.incomplete`)); // every write into it fails with ENOSPC
  await assert.rejects(loadPretrained('org/disk-full', { quiet: true }), (e: Error) => {
    assert.match(e.message, /^no space left on the disk of .* while writing .*\.incomplete; free some space \(tuneshot models rm <id>\) or set HF_HUB_CACHE/);
    return true;
  });
  assert.ok(!existsSync(path.join(repoDir('org/disk-full'), 'snapshots', commit, 'model.safetensors')));
  rmSync(path.join(blobs, `${etag}.incomplete`));
  assert.equal((await loadPretrained('org/disk-full', { quiet: true })).config.modelType, 'bert', 'completes once there is space');
});

test('sharded safetensors: the index and every shard it names, nothing else', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tuneshot-shards-'));
  await import('node:fs/promises').then((f) => f.writeFile(path.join(dir, 'model.safetensors'), files['model.safetensors']!));
  const tensors = await readSafetensorsFolder(dir);
  const names = [...tensors.keys()].sort();
  const half = Math.ceil(names.length / 2);
  const shard = (ns: string[]) => Buffer.from(serializeSafetensors(Object.fromEntries(ns.map((n) => [n, tensors.get(n)!]))));
  const weight_map = Object.fromEntries(names.map((n, i) => [n, i < half ? 'model-00001-of-00002.safetensors' : 'model-00002-of-00002.safetensors']));
  const { 'model.safetensors': _, ...rest } = files;
  const commit = hub.addRepo('org/sharded', {
    ...rest, 'model.safetensors.index.json': JSON.stringify({ metadata: {}, weight_map }),
    'model-00001-of-00002.safetensors': shard(names.slice(0, half)), 'model-00002-of-00002.safetensors': shard(names.slice(half)),
    'model-00001-of-00003.safetensors': Buffer.alloc(100), // a stale shard of an older upload: not in the index
  });
  const m = await loadPretrained('org/sharded', { quiet: true });
  assert.equal(m.params.names().length, names.length);
  const snap = path.join(repoDir('org/sharded'), 'snapshots', commit);
  assert.ok(!existsSync(path.join(snap, 'model-00001-of-00003.safetensors')));
  assert.ok(existsSync(path.join(snap, 'model-00002-of-00002.safetensors')));
});

test('two loads of the same model at once: one downloads each file, the other waits for it (lock beside Python\'s)', async () => {
  const commit = hub.addRepo('org/concurrent', files);
  const etag = hub.file('org/concurrent', commit, 'model.safetensors').etag;
  const seen = hub.log.length; // other tests fetched the same blob (same tiny model) into their own caches
  const [a, b] = await Promise.all([loadPretrained('org/concurrent', { quiet: true }), loadPretrained('org/concurrent', { quiet: true })]);
  assert.deepEqual(a.params.get('bert.embeddings.word_embeddings.weight')!.data, b.params.get('bert.embeddings.word_embeddings.weight')!.data);
  const bodies = hub.log.slice(seen).filter((r) => r.server === 'cdn' && r.url.startsWith(`/blobs/${etag}`) && r.range !== 'bytes=0-0');
  assert.equal(bodies.length, 1, 'the weights were transferred once');
  assert.deepEqual(readdirSync(path.join(cache(), '.locks', 'models--org--concurrent')), [], 'no lock left behind');
});
