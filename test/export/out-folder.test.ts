// The export's output folder: written whole or not at all, previous exports replaced, anything else
// refused, temp folders of a killed export cleared by the next one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { EXPORT_MARKER, writeOutFolder } from '../../src/export/out-folder.js';

test('writeOutFolder: atomic, replaces only previous exports, clears a killed export\'s temp folder', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'tuneshot-outfolder-'));
  try {
    const out = path.join(root, 'out');
    await writeOutFolder(out, { n: 1 }, async (d) => writeFileSync(path.join(d, 'a.txt'), 'one'));
    assert.deepEqual(readdirSync(out).sort(), ['a.txt', EXPORT_MARKER]);
    // A failing write leaves the previous export as it was and no temp folder.
    await assert.rejects(writeOutFolder(out, { n: 2 }, async (d) => { writeFileSync(path.join(d, 'b.txt'), 'half'); throw new Error('disk full'); }), /disk full/);
    assert.equal(readFileSync(path.join(out, 'a.txt'), 'utf8'), 'one');
    assert.deepEqual(readdirSync(root), ['out']);
    // A previous export is replaced whole.
    await writeOutFolder(out, { n: 3 }, async (d) => writeFileSync(path.join(d, 'c.txt'), 'three'));
    assert.deepEqual(readdirSync(out).sort(), ['c.txt', EXPORT_MARKER]);
    assert.deepEqual(JSON.parse(readFileSync(path.join(out, EXPORT_MARKER), 'utf8')), { n: 3 });
    // A killed export's temp folder (its process gone) is removed by the next export to the same place.
    const stale = path.join(root, '.out.tmp-999999999-abc');
    mkdirSync(stale);
    await writeOutFolder(out, { n: 4 }, async () => undefined);
    assert.ok(!existsSync(stale));
    // Folders and files tuneshot did not write are never replaced.
    const mine = path.join(root, 'mine');
    mkdirSync(mine);
    writeFileSync(path.join(mine, 'notes.txt'), 'keep');
    await assert.rejects(writeOutFolder(mine, {}, async () => undefined), /--out .*mine: folder exists and is not empty \(and not a previous tuneshot export\)/);
    writeFileSync(path.join(root, 'file'), 'x');
    await assert.rejects(writeOutFolder(path.join(root, 'file'), {}, async () => undefined), /exists and is a file, not a folder/);
    assert.equal(readFileSync(path.join(mine, 'notes.txt'), 'utf8'), 'keep');
    // An empty folder is fine.
    const empty = path.join(root, 'empty');
    mkdirSync(empty);
    await writeOutFolder(empty, {}, async (d) => writeFileSync(path.join(d, 'x'), ''));
    assert.ok(existsSync(path.join(empty, 'x')));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
