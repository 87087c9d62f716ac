// `tuneshot models ls | pull | rm` against a Hub on 127.0.0.1: pull downloads and reports the commit,
// ls lists embedded and cached models with their family and parameters, rm removes one revision or
// all (blobs only when no snapshot uses them). The first pull runs as a real child process (stdout,
// and no progress bar on a pipe); the rest through the same main() in this process (a child costs
// seconds of CPU to start, on 2 shared cores).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { format } from 'node:util';
import { main } from '../../src/cli/main.js';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FakeHub } from '../fixtures/fake-hub.js';
import { tinyBert } from '../fixtures/tiny-hub-models.js';

let hub: FakeHub;
let env: NodeJS.ProcessEnv;
let home: string;

before(async () => {
  hub = await new FakeHub().start();
  home = mkdtempSync(path.join(tmpdir(), 'tuneshot-hf-home-'));
  env = { ...process.env, HF_HOME: home, HF_ENDPOINT: hub.url, TUNESHOT_HOME: mkdtempSync(path.join(tmpdir(), 'tuneshot-home-')) };
  for (const v of ['HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'HF_TOKEN', 'HF_HUB_OFFLINE']) delete env[v];
});
after(() => hub.close());

/** `tuneshot <args>` through main() here: its stdout, and the error line run.ts would print (exit code 1). */
async function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const log = console.log;
  let stdout = '';
  console.log = (...xs: unknown[]) => { stdout += `${format(...xs)}\n`; };
  const saved = { ...process.env };
  for (const k of Object.keys(process.env)) delete process.env[k];
  Object.assign(process.env, env);
  try {
    await main(['node', 'tuneshot', ...args]);
    return { code: 0, stdout, stderr: '' };
  } catch (e) {
    return { code: 1, stdout, stderr: `tuneshot: ${(e as Error).message}\n` };
  } finally {
    console.log = log;
    for (const k of Object.keys(process.env)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

function child(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('models pull, ls and rm', { timeout: 180_000 }, async () => {
  const { files } = await tinyBert();
  const v1 = hub.addRepo('org/tiny', files);
  hub.addRepo('org/tiny', files, { branch: 'v1' });
  const pulled = await child(['models', 'pull', 'org/tiny']);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.match(pulled.stdout, new RegExp(`^org/tiny: commit ${v1}, \\d+\\.\\d kB downloaded \\(.*snapshots/${v1}\\)\\n$`));
  assert.equal(pulled.stderr, '', 'no progress bar when stderr is not a terminal');
  const again = await run(['models', 'pull', 'org/tiny']);
  assert.match(again.stdout, /already up to date/);
  const v1tag = await run(['models', 'pull', 'org/tiny@v1']);
  assert.equal(v1tag.code, 0, v1tag.stderr);

  const ls = await run(['models', 'ls']);
  assert.equal(ls.code, 0, ls.stderr);
  const lines = ls.stdout.trim().split('\n');
  assert.match(lines[0]!, /^id\s+revision\s+size\s+family\s+parameters/);
  assert.ok(lines.some((l) => /^tuneshot-base-encoder\s+embedded\s+[\d.]+ MB\s+bert\s+[\d.]+M/.test(l)), ls.stdout);
  assert.ok(lines.some((l) => new RegExp(`^org/tiny\\s+main ${v1.slice(0, 12)}\\s+[\\d.]+ kB\\s+bert\\s+23\\.3k`).test(l)), ls.stdout);
  assert.ok(lines.some((l) => /^org\/tiny\s+v1 [0-9a-f]{12}/.test(l)), ls.stdout);
  assert.equal(lines.at(-1), `cache: ${path.join(home, 'hub')}`);
  const json = JSON.parse((await run(['models', 'ls', '--json'])).stdout) as Array<{ id: string; parameters: number }>;
  assert.equal(json.filter((m) => m.id === 'org/tiny').length, 2);

  // One revision: its snapshot and ref go, the blobs the other snapshot shares stay.
  const repo = path.join(home, 'hub', 'models--org--tiny');
  const blobs = readdirSync(path.join(repo, 'blobs')).length;
  const rm1 = await run(['models', 'rm', 'org/tiny@v1']);
  assert.equal(rm1.code, 0, rm1.stderr);
  assert.match(rm1.stdout, /^org\/tiny@v1: removed 1 snapshot \([0-9a-f]{12}\), 0 B freed\n$/);
  assert.equal(readdirSync(path.join(repo, 'blobs')).length, blobs);
  assert.ok(!existsSync(path.join(repo, 'refs', 'v1')) && existsSync(path.join(repo, 'refs', 'main')));
  const rmAll = await run(['models', 'rm', 'org/tiny']);
  assert.match(rmAll.stdout, /removed 1 snapshot .*[\d.]+ kB freed/);
  assert.ok(!existsSync(repo));

  const errors = [];
  for (const a of [['models', 'rm', 'org/tiny'], ['models', 'rm', 'tuneshot-base-lm'], ['models', 'pull', 'org/missing'], ['models', 'pull', '../x']]) errors.push(await run(a));
  assert.deepEqual(errors.map((e) => e.code), [1, 1, 1, 1]);
  assert.match(errors[0]!.stderr, /^tuneshot: org\/tiny is not in the Hugging Face cache \(.*\)\n$/);
  assert.match(errors[1]!.stderr, /^tuneshot: tuneshot-base-lm is embedded in tuneshot \(models\/tuneshot-base-lm\): nothing to remove\n$/);
  assert.match(errors[2]!.stderr, /^tuneshot: model "org\/missing" not found on http:\/\/127\.0\.0\.1:\d+/);
  assert.match(errors[3]!.stderr, /^tuneshot: "\.\.\/x" is not a Hub model id/);
});
