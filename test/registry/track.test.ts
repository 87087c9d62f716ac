// trackRun records a run as running, then succeeded or failed; credentials never reach the registry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { redact, trackRun } from '../../src/registry/track.js';
import { openRegistry } from '../../src/registry/registry.js';

test('trackRun records success and failure; secrets are redacted', async () => {
  process.env.TUNESHOT_HOME = mkdtempSync(path.join(tmpdir(), 'tuneshot-track-'));
  const config = { command: 'tuneshot icl --backend openai --api-key sk-123 --k 4', apiKey: 'sk-123', k: 4 };
  await trackRun('icl', config, [], ['/tmp/out'], async () => 42, (r) => ({ answer: r }));
  await assert.rejects(trackRun('finetune', { k: 1 }, [], [], async () => { throw new Error('boom'); }, () => ({})), /boom/);
  const reg = openRegistry();
  const [failed, ok] = reg.listRuns();
  assert.equal(ok!.status, 'succeeded');
  assert.deepEqual(ok!.metrics, { answer: 42 });
  assert.equal(failed!.status, 'failed');
  assert.match(String(failed!.metrics['error']), /boom/);
  assert.ok(!JSON.stringify(ok!.config).includes('sk-123'), 'no key stored');
  assert.equal(ok!.config['command'], 'tuneshot icl --backend openai --api-key *** --k 4');
  reg.close();
  assert.deepEqual(redact({ token: 'x', password: 'y', model: 'm' }), { model: 'm' });
});
