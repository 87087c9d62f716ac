// Remote fine-tuning's part of the registry (tables of migration 2 in registry.ts): uploaded files
// by content hash and provider jobs by data hash and parameters, each keyed by provider and
// endpoint because file and job ids are only valid on the server that issued them.
import type { Registry } from './registry.js';

export interface RemoteFileRecord {
  fileId: string;
  bytes: number;
}

export interface RemoteJobRecord {
  provider: string;
  endpoint: string;
  jobId: string;
  /** The tuneshot run that follows this job, if any. */
  runId: number | null;
  baseModel: string;
  dataHash: string;
  /** Canonical JSON of hyperparameters, suffix and seed: with the data hash, the reuse key. */
  params: string;
  status: string;
  fineTunedModel: string | null;
  trainedTokens: number | null;
  error: string | null;
  /** How to reach the endpoint again (e.g. Azure's api-version); never credentials. */
  settings: Record<string, string>;
  /** What to write when the job succeeds (model card folder and prompt program), if anything. */
  card: unknown;
  createdAt: string;
  updatedAt: string;
}

interface JobRow {
  provider: string;
  endpoint: string;
  job_id: string;
  run_id: number | null;
  base_model: string;
  data_hash: string;
  params: string;
  status: string;
  fine_tuned_model: string | null;
  trained_tokens: number | null;
  error: string | null;
  settings: string;
  card: string | null;
  created_at: string;
  updated_at: string;
}

function toRecord(r: JobRow): RemoteJobRecord {
  return {
    provider: r.provider, endpoint: r.endpoint, jobId: r.job_id, runId: r.run_id, baseModel: r.base_model,
    dataHash: r.data_hash, params: r.params, status: r.status, fineTunedModel: r.fine_tuned_model,
    trainedTokens: r.trained_tokens, error: r.error, settings: JSON.parse(r.settings) as Record<string, string>,
    card: r.card === null ? null : (JSON.parse(r.card) as unknown), createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

export type RemoteJobPatch = Partial<Pick<RemoteJobRecord, 'runId' | 'status' | 'fineTunedModel' | 'trainedTokens' | 'error' | 'card'>>;

export class RemoteStore {
  constructor(private readonly registry: Registry) {}

  private get db() {
    return this.registry.sqlite;
  }

  findFile(provider: string, endpoint: string, sha256: string): RemoteFileRecord | undefined {
    const r = this.db.prepare(`SELECT file_id, bytes FROM remote_files WHERE provider = ? AND endpoint = ? AND sha256 = ?`)
      .get(provider, endpoint, sha256) as { file_id: string; bytes: number } | undefined;
    return r ? { fileId: r.file_id, bytes: r.bytes } : undefined;
  }

  recordFile(provider: string, endpoint: string, sha256: string, file: RemoteFileRecord): void {
    this.db.prepare(`INSERT OR REPLACE INTO remote_files (provider, endpoint, sha256, file_id, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(provider, endpoint, sha256, file.fileId, file.bytes, new Date().toISOString());
  }

  forgetFile(provider: string, endpoint: string, sha256: string): void {
    this.db.prepare(`DELETE FROM remote_files WHERE provider = ? AND endpoint = ? AND sha256 = ?`).run(provider, endpoint, sha256);
  }

  recordJob(r: Omit<RemoteJobRecord, 'createdAt' | 'updatedAt'>): void {
    const now = new Date().toISOString();
    this.db.prepare(
      `INSERT OR REPLACE INTO remote_jobs (provider, endpoint, job_id, run_id, base_model, data_hash, params, status,
         fine_tuned_model, trained_tokens, error, settings, card, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(r.provider, r.endpoint, r.jobId, r.runId, r.baseModel, r.dataHash, r.params, r.status, r.fineTunedModel,
      r.trainedTokens, r.error, JSON.stringify(r.settings), r.card === null || r.card === undefined ? null : JSON.stringify(r.card), now, now);
  }

  updateJob(provider: string, endpoint: string, jobId: string, patch: RemoteJobPatch): void {
    const sets: string[] = [];
    const values: unknown[] = [];
    const col: Record<keyof RemoteJobPatch, string> = {
      runId: 'run_id', status: 'status', fineTunedModel: 'fine_tuned_model', trainedTokens: 'trained_tokens', error: 'error', card: 'card',
    };
    for (const [k, v] of Object.entries(patch) as [keyof RemoteJobPatch, unknown][]) {
      if (v === undefined) continue;
      sets.push(`${col[k]} = ?`);
      values.push(k === 'card' ? (v === null ? null : JSON.stringify(v)) : v);
    }
    sets.push('updated_at = ?');
    values.push(new Date().toISOString());
    this.db.prepare(`UPDATE remote_jobs SET ${sets.join(', ')} WHERE provider = ? AND endpoint = ? AND job_id = ?`)
      .run(...values, provider, endpoint, jobId);
  }

  /** Jobs of the same provider, endpoint, base model, data and parameters, newest first. */
  findJobs(provider: string, endpoint: string, baseModel: string, dataHash: string, params: string): RemoteJobRecord[] {
    return (this.db.prepare(
      `SELECT * FROM remote_jobs WHERE provider = ? AND endpoint = ? AND base_model = ? AND data_hash = ? AND params = ?
       ORDER BY created_at DESC, rowid DESC`,
    ).all(provider, endpoint, baseModel, dataHash, params) as JobRow[]).map(toRecord);
  }

  /** Every recorded job with this provider id (normally one), newest first. */
  jobsById(jobId: string): RemoteJobRecord[] {
    return (this.db.prepare(`SELECT * FROM remote_jobs WHERE job_id = ? ORDER BY created_at DESC, rowid DESC`).all(jobId) as JobRow[]).map(toRecord);
  }

  listJobs(limit = 100): RemoteJobRecord[] {
    return (this.db.prepare(`SELECT * FROM remote_jobs ORDER BY created_at DESC, rowid DESC LIMIT ?`).all(Math.max(0, Math.floor(limit))) as JobRow[]).map(toRecord);
  }
}
