import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { hashInputs, openRegistry, SCHEMA_VERSION } from '../../src/registry/registry.js';

function withHome<T>(fn: (home: string) => T): T {
  const home = mkdtempSync(join(tmpdir(), 'tuneshot-reg-'));
  const prev = process.env.TUNESHOT_HOME;
  process.env.TUNESHOT_HOME = home;
  try {
    return fn(home);
  } finally {
    if (prev === undefined) delete process.env.TUNESHOT_HOME;
    else process.env.TUNESHOT_HOME = prev;
    rmSync(home, { recursive: true, force: true });
  }
}

test('registry CRUD in $TUNESHOT_HOME, WAL mode, versioned schema', () => {
  withHome((home) => {
    const reg = openRegistry();
    assert.equal(reg.path, join(home, 'registry.sqlite'));
    assert.equal(reg.schemaVersion(), SCHEMA_VERSION);
    const art = join(home, 'runs', 'ft1');
    mkdirSync(art, { recursive: true });
    writeFileSync(join(art, 'model.safetensors'), 'x');
    const id1 = reg.recordRun({ kind: 'finetune', config: { lr: 1e-4, method: 'lora' }, inputHash: 'abc', artifacts: [art] });
    const id2 = reg.recordRun({ kind: 'icl', config: { shots: 4 }, inputHash: 'abc', metrics: { accuracy: 0.7 }, status: 'succeeded' });
    const id3 = reg.recordRun({ kind: 'compare', config: {}, inputHash: 'def', status: 'failed' });
    assert.ok(id1 < id2 && id2 < id3);

    const r1 = reg.getRun(id1)!;
    assert.equal(r1.kind, 'finetune');
    assert.deepEqual(r1.config, { lr: 1e-4, method: 'lora' });
    assert.equal(r1.status, 'running');
    assert.deepEqual(r1.metrics, {});
    assert.deepEqual(r1.artifacts, [art]);

    const u = reg.updateRun(id1, { status: 'succeeded', metrics: { accuracy: 0.9, macroF1: 0.88 } });
    assert.equal(u.status, 'succeeded');
    assert.deepEqual(u.metrics, { accuracy: 0.9, macroF1: 0.88 });
    assert.deepEqual(u.config, r1.config);
    assert.ok(u.updatedAt >= r1.updatedAt);
    assert.throws(() => reg.updateRun(9999, { status: 'failed' }), /no run 9999/);
    assert.throws(() => reg.recordRun({ kind: 'bogus' as 'icl', config: {}, inputHash: '' }), /unknown run kind/);

    assert.deepEqual(reg.listRuns().map((r) => r.id), [id3, id2, id1]);
    assert.deepEqual(reg.listRuns({ kind: 'icl' }).map((r) => r.id), [id2]);
    assert.deepEqual(reg.listRuns({ inputHash: 'abc' }).map((r) => r.id), [id2, id1]);
    assert.deepEqual(reg.listRuns({ status: 'failed' }).map((r) => r.id), [id3]);
    assert.equal(reg.listRuns({ limit: 1 }).length, 1);

    assert.equal(reg.removeRun(id2), true);
    assert.equal(reg.getRun(id2), undefined);
    assert.equal(reg.removeRun(id2), false);
    assert.ok(existsSync(art));
    assert.equal(reg.removeRun(id1, { deleteArtifacts: true }), true);
    assert.ok(!existsSync(art));
    reg.close();

    // Reopening keeps data and does not re-apply migrations.
    const again = openRegistry(home);
    assert.deepEqual(again.listRuns().map((r) => r.id), [id3]);
    again.close();
    const raw = new Database(join(home, 'registry.sqlite'));
    assert.equal((raw.pragma('journal_mode', { simple: true }) as string).toLowerCase(), 'wal');
    assert.equal((raw.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get() as { n: number }).n, SCHEMA_VERSION);
    raw.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (999, ?)').run('x');
    raw.close();
    assert.throws(() => openRegistry(home), /newer than this tuneshot/);
  });
});

test('hashInputs: sha256 of contents, order and boundaries matter', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tuneshot-hash-'));
  try {
    const a = join(dir, 'a.txt');
    const b = join(dir, 'b.txt');
    const c = join(dir, 'c.txt');
    writeFileSync(a, 'hello');
    writeFileSync(b, 'world');
    writeFileSync(c, 'hello');
    const h1 = await hashInputs([a, b]);
    assert.match(h1, /^[0-9a-f]{64}$/);
    assert.equal(await hashInputs([c, b]), h1, 'same contents, same hash');
    assert.notEqual(await hashInputs([b, a]), h1);
    writeFileSync(join(dir, 'ab'), 'hellowor');
    writeFileSync(join(dir, 'ld'), 'ld');
    assert.notEqual(await hashInputs([join(dir, 'ab'), join(dir, 'ld')]), h1);
    writeFileSync(b, 'World');
    assert.notEqual(await hashInputs([a, b]), h1);
    await assert.rejects(hashInputs([join(dir, 'missing')]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
