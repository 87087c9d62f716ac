// A registry.sqlite that is not a database (a truncated copy, a stray file) must not block every
// command: it is moved aside with one warning and a new registry is started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRegistry } from '../../src/registry/registry.js';

test('a corrupt registry is moved aside with a warning, and work goes on', () => {
  const home = mkdtempSync(join(tmpdir(), 'tuneshot-reg-'));
  const file = join(home, 'registry.sqlite');
  writeFileSync(file, 'this is not a database, just forty-odd bytes of text\n'.repeat(100));
  const warnings: string[] = [];
  const reg = openRegistry(home, (m) => warnings.push(m));
  try {
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, new RegExp(`^${file} was not a readable SQLite database \\(.*\\); moved it to ${file}\\.corrupt-\\S+ and started a new run registry$`));
    const id = reg.recordRun({ kind: 'finetune', config: {}, inputHash: 'x' });
    assert.equal(reg.getRun(id)!.kind, 'finetune');
  } finally {
    reg.close();
  }
  const aside = readdirSync(home).filter((f) => f.startsWith('registry.sqlite.corrupt-'));
  assert.equal(aside.length, 1);
  assert.match(readFileSync(join(home, aside[0]!), 'utf8'), /^this is not a database/, 'the old file is kept for inspection');
  assert.ok(existsSync(file));
});
