// The run registry: every pretrain / finetune / icl / compare run, its config, a hash of its
// inputs, its metrics, the files it wrote and its status, in one SQLite file
// ($TUNESHOT_HOME or ~/.tuneshot)/registry.sqlite. WAL mode; the schema is versioned through a
// migrations table so later versions can add columns without losing history.

import { createHash } from 'node:crypto';
import { createReadStream, existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { tuneshotHome } from '../util/paths.js';
import { makeDirs } from '../io/atomic.js';

export type RunKind = 'pretrain' | 'finetune' | 'icl' | 'compare';
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

export const RUN_KINDS: readonly RunKind[] = ['pretrain', 'finetune', 'icl', 'compare'];
export const RUN_STATUSES: readonly RunStatus[] = ['running', 'succeeded', 'failed', 'cancelled'];



export interface RunInput {
  kind: RunKind;
  config: Record<string, unknown>;
  inputHash: string;
  metrics?: Record<string, unknown>;
  /** Files or folders the run wrote. */
  artifacts?: string[];
  status?: RunStatus;
}

export interface Run {
  id: number;
  kind: RunKind;
  config: Record<string, unknown>;
  inputHash: string;
  metrics: Record<string, unknown>;
  artifacts: string[];
  status: RunStatus;
  /** ISO 8601. */
  createdAt: string;
  updatedAt: string;
}

export interface RunPatch {
  config?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
  artifacts?: string[];
  status?: RunStatus;
}

export interface ListOptions {
  kind?: RunKind;
  status?: RunStatus;
  inputHash?: string;
  limit?: number;
}

/** Ordered migrations; the version of the schema is the number applied. Never edit one, only add. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE runs (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     kind TEXT NOT NULL CHECK (kind IN ('pretrain','finetune','icl','compare')),
     config TEXT NOT NULL,
     input_hash TEXT NOT NULL,
     metrics TEXT NOT NULL DEFAULT '{}',
     artifacts TEXT NOT NULL DEFAULT '[]',
     status TEXT NOT NULL CHECK (status IN ('running','succeeded','failed','cancelled')),
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE INDEX runs_kind ON runs(kind);
   CREATE INDEX runs_input_hash ON runs(input_hash);`,
  // 2: remote fine-tuning (src/remote): uploaded training files by content hash, so a file is never
  // uploaded twice, and provider jobs by data hash and parameters, so a finished job is reused.
  `CREATE TABLE remote_files (
     provider TEXT NOT NULL,
     endpoint TEXT NOT NULL,
     sha256 TEXT NOT NULL,
     file_id TEXT NOT NULL,
     bytes INTEGER NOT NULL,
     created_at TEXT NOT NULL,
     PRIMARY KEY (provider, endpoint, sha256)
   );
   CREATE TABLE remote_jobs (
     provider TEXT NOT NULL,
     endpoint TEXT NOT NULL,
     job_id TEXT NOT NULL,
     run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
     base_model TEXT NOT NULL,
     data_hash TEXT NOT NULL,
     params TEXT NOT NULL,
     status TEXT NOT NULL,
     fine_tuned_model TEXT,
     trained_tokens INTEGER,
     error TEXT,
     settings TEXT NOT NULL DEFAULT '{}',
     card TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (provider, endpoint, job_id)
   );
   CREATE INDEX remote_jobs_reuse ON remote_jobs(provider, endpoint, base_model, data_hash, params);
   CREATE INDEX remote_jobs_job_id ON remote_jobs(job_id);`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

interface RunRow {
  id: number;
  kind: string;
  config: string;
  input_hash: string;
  metrics: string;
  artifacts: string;
  status: string;
  created_at: string;
  updated_at: string;
}

function toRun(r: RunRow): Run {
  return {
    id: r.id,
    kind: r.kind as RunKind,
    config: JSON.parse(r.config) as Record<string, unknown>,
    inputHash: r.input_hash,
    metrics: JSON.parse(r.metrics) as Record<string, unknown>,
    artifacts: JSON.parse(r.artifacts) as string[],
    status: r.status as RunStatus,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function checkKind(k: string): asserts k is RunKind {
  if (!(RUN_KINDS as readonly string[]).includes(k)) throw new Error(`unknown run kind: ${k}`);
}
function checkStatus(s: string): asserts s is RunStatus {
  if (!(RUN_STATUSES as readonly string[]).includes(s)) throw new Error(`unknown run status: ${s}`);
}

/** The tuneshot home folder: $TUNESHOT_HOME, else ~/.tuneshot. */
export class Registry {
  readonly path: string;
  private readonly db: Database.Database;

  constructor(path: string) {
    this.path = path;
    this.db = new Database(path);
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('foreign_keys = ON');
      this.db.pragma('busy_timeout = 5000');
      this.migrate();
    } catch (e) {
      this.db.close();
      throw e;
    }
  }

  private migrate(): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`);
    const row = this.db.prepare(`SELECT MAX(version) AS v FROM schema_migrations`).get() as { v: number | null };
    const current = row.v ?? 0;
    if (current > MIGRATIONS.length) {
      throw new Error(`registry ${this.path} has schema version ${current}, newer than this tuneshot (${MIGRATIONS.length}); upgrade tuneshot`);
    }
    const apply = this.db.transaction((from: number) => {
      for (let v = from + 1; v <= MIGRATIONS.length; v++) {
        this.db.exec(MIGRATIONS[v - 1]!);
        this.db.prepare(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`).run(v, new Date().toISOString());
      }
    });
    apply.immediate(current);
  }

  /** The SQLite handle, for stores of other concerns kept in the same file (src/registry/remote.ts). */
  get sqlite(): Database.Database {
    return this.db;
  }

  schemaVersion(): number {
    const row = this.db.prepare(`SELECT MAX(version) AS v FROM schema_migrations`).get() as { v: number | null };
    return row.v ?? 0;
  }

  recordRun(input: RunInput): number {
    checkKind(input.kind);
    const status = input.status ?? 'running';
    checkStatus(status);
    const now = new Date().toISOString();
    const info = this.db
      .prepare(
        `INSERT INTO runs (kind, config, input_hash, metrics, artifacts, status, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(input.kind, JSON.stringify(input.config), input.inputHash, JSON.stringify(input.metrics ?? {}), JSON.stringify(input.artifacts ?? []), status, now, now);
    return Number(info.lastInsertRowid);
  }

  /** Replaces the given fields (metrics and config are replaced whole, not merged). */
  updateRun(id: number, patch: RunPatch): Run {
    const existing = this.getRun(id);
    if (!existing) throw new Error(`no run ${id}`);
    if (patch.status !== undefined) checkStatus(patch.status);
    const next = {
      config: patch.config ?? existing.config,
      metrics: patch.metrics ?? existing.metrics,
      artifacts: patch.artifacts ?? existing.artifacts,
      status: patch.status ?? existing.status,
    };
    let now = new Date().toISOString();
    if (now <= existing.updatedAt) now = existing.updatedAt;
    this.db
      .prepare(`UPDATE runs SET config = ?, metrics = ?, artifacts = ?, status = ?, updated_at = ? WHERE id = ?`)
      .run(JSON.stringify(next.config), JSON.stringify(next.metrics), JSON.stringify(next.artifacts), next.status, now, id);
    return this.getRun(id)!;
  }

  getRun(id: number): Run | undefined {
    const r = this.db.prepare(`SELECT * FROM runs WHERE id = ?`).get(id) as RunRow | undefined;
    return r ? toRun(r) : undefined;
  }

  /** Newest first. */
  listRuns(options: ListOptions = {}): Run[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (options.kind !== undefined) {
      checkKind(options.kind);
      where.push('kind = ?');
      params.push(options.kind);
    }
    if (options.status !== undefined) {
      checkStatus(options.status);
      where.push('status = ?');
      params.push(options.status);
    }
    if (options.inputHash !== undefined) {
      where.push('input_hash = ?');
      params.push(options.inputHash);
    }
    let sql = `SELECT * FROM runs${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC`;
    if (options.limit !== undefined) {
      sql += ' LIMIT ?';
      params.push(Math.max(0, Math.floor(options.limit)));
    }
    return (this.db.prepare(sql).all(...params) as RunRow[]).map(toRun);
  }

  /** Deletes the record (and, with deleteArtifacts, the files/folders it lists). Returns whether it existed. */
  removeRun(id: number, options: { deleteArtifacts?: boolean } = {}): boolean {
    const run = this.getRun(id);
    if (!run) return false;
    if (options.deleteArtifacts) {
      for (const a of run.artifacts) rmSync(a, { recursive: true, force: true });
    }
    this.db.prepare(`DELETE FROM runs WHERE id = ?`).run(id);
    return true;
  }

  close(): void {
    this.db.close();
  }
}

/**
 * Opens (creating if needed) the registry. `home` defaults to $TUNESHOT_HOME, else ~/.tuneshot;
 * the database is <home>/registry.sqlite.
 */
export function openRegistry(home: string = tuneshotHome(), warn: (message: string) => void = (m) => process.stderr.write(`warning: ${m}\n`)): Registry {
  makeDirs(home);
  const file = join(home, 'registry.sqlite');
  try {
    return new Registry(file);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== 'SQLITE_NOTADB' && code !== 'SQLITE_CORRUPT') throw new Error(`${file}: cannot open the run registry (${(e as Error).message})`);
    // A damaged registry must not block every command: keep it for inspection, start a new one.
    const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(file, aside);
    for (const ext of ['-wal', '-shm']) if (existsSync(file + ext)) renameSync(file + ext, aside + ext);
    warn(`${file} was not a readable SQLite database (${(e as Error).message}); moved it to ${aside} and started a new run registry`);
    return new Registry(file);
  }
}

/**
 * sha256 over the contents of the files, in the given order, each prefixed with its length so
 * that concatenation boundaries matter. Paths themselves are not hashed (moving a file keeps its hash).
 */
export async function hashInputs(paths: readonly string[]): Promise<string> {
  const h = createHash('sha256');
  for (const p of paths) {
    let size = 0;
    const inner = createHash('sha256');
    await new Promise<void>((resolve, reject) => {
      createReadStream(p)
        .on('data', (c) => {
          const b = typeof c === 'string' ? Buffer.from(c) : c;
          size += b.length;
          inner.update(b);
        })
        .on('error', reject)
        .on('end', () => resolve());
    });
    h.update(`${size}:`);
    h.update(inner.digest());
  }
  return h.digest('hex');
}
