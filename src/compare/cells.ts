// The cell store: every finished cell is written atomically to <out>/cells/, so a rerun after a
// crash reuses it (when its hash, over the data, the arm's settings, the budget and the seed,
// matches) instead of recomputing.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { budgetKey, type ArmInfo, type Cell } from '../eval/results.js';
import { writeFileAtomicSync as writeFileAtomic } from '../io/atomic.js';
import type { Arm } from './arm.js';
import { sha } from './fingerprint.js';
import type { CellKey } from './options.js';

/** Bump when a change makes old cells incomparable (2: arms, one-off costs). */
const CELL_FORMAT = 2;

interface CellFile {
  format: number;
  hash: string;
  arm: ArmInfo;
  cell: Cell;
}

/** A safe file name for a cell: <arm>__<budget>__<seed>.json. */
export function cellFileName(c: CellKey): string {
  const safe = c.arm.replace(/[^A-Za-z0-9._-]+/g, '_');
  const m = safe.length > 80 ? `${safe.slice(0, 60)}_${sha(c.arm).slice(0, 12)}` : safe;
  return `${m}__${budgetKey(c.budget)}__${c.seed}.json`;
}

export class CellStore {
  readonly dir: string;

  /** `runHash` covers what every cell shares (the data, the latency sample). */
  constructor(out: string, private readonly runHash: string) {
    this.dir = path.join(out, 'cells'); // made at the first write, after the output folder is opened and marked
  }

  hash(arm: Arm, key: CellKey): string {
    return sha({ format: CELL_FORMAT, run: this.runHash, arm: arm.id, settings: arm.settings, budget: key.budget, seed: key.seed });
  }

  /** A finished, matching cell from an earlier run, if there is one (torn or foreign files are ignored). */
  read(arm: Arm, key: CellKey): { arm: ArmInfo; cell: Cell } | undefined {
    const file = path.join(this.dir, cellFileName(key));
    if (!existsSync(file)) return undefined;
    try {
      const f = JSON.parse(readFileSync(file, 'utf8')) as CellFile;
      if (f.format === CELL_FORMAT && f.hash === this.hash(arm, key) && !f.cell.error) return { arm: f.arm, cell: f.cell };
    } catch { /* recompute */ }
    return undefined;
  }

  write(arm: Arm, info: ArmInfo, cell: Cell): void {
    const key = { arm: cell.arm, budget: cell.budget, seed: cell.seed };
    mkdirSync(this.dir, { recursive: true });
    writeFileAtomic(path.join(this.dir, cellFileName(key)), JSON.stringify({ format: CELL_FORMAT, hash: this.hash(arm, key), arm: info, cell } satisfies CellFile) + '\n');
  }
}
