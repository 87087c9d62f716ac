// The embedded tuneshot-base-lm exported to GGUF: the builtin backend (tuneshot's engine) and the
// llamacpp backend (node-llama-cpp) give the same label scores.
// Tolerance: per-token log-probabilities within 2e-3 nats (float32 on both sides, different kernels).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { readCheckpoint } from '../../src/formats/checkpoint.js';
import { checkpointToGguf } from '../../src/formats/gguf.js';
import { resolveModel } from '../../src/models/resolve.js';
import { BuiltinLanguageModel } from '../../src/icl/backends/builtin.js';
import { loadLlamaCppModel } from '../../src/icl/backends/llamacpp.js';

test('builtin and llamacpp agree on label scores for the embedded LM', { timeout: 120_000 }, async () => {
  const dir = resolveModel('tuneshot-base-lm');
  const gguf = path.join(mkdtempSync(path.join(tmpdir(), 'tuneshot-gguf-')), 'tuneshot-base-lm.gguf');
  const ck = await readCheckpoint(dir);
  await checkpointToGguf(ck.config, ck.tensors, dir, gguf);
  const builtin = await BuiltinLanguageModel.load('tuneshot-base-lm');
  const cpp = await loadLlamaCppModel({ modelPath: gguf, contextLength: 256 });
  try {
    const prompt = 'Email: Congratulations! You have won a free cruise, reply now to claim your prize.\nIs it spam or ham? Answer:';
    const labels = [' spam', ' ham', ' not sure at all'];
    assert.deepEqual(await cpp.tokenize(prompt), await builtin.tokenize(prompt), 'same tokens');
    const [a, b] = [await builtin.scoreContinuations(prompt, labels), await cpp.scoreContinuations(prompt, labels)];
    let worst = 0;
    a.forEach((s, i) => {
      assert.equal(s.tokenLogprobs.length, b[i]!.tokenLogprobs.length, `label ${i} token count`);
      s.tokenLogprobs.forEach((lp, j) => (worst = Math.max(worst, Math.abs(lp - b[i]!.tokenLogprobs[j]!))));
    });
    assert.ok(worst < 2e-3, `builtin vs llama.cpp log-probabilities differ by up to ${worst}`);
  } finally {
    await cpp.dispose?.();
  }
});
