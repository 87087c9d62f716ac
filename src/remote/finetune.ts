// The typed library entry of remote fine-tuning: examples in, a fine-tuned model id out.
//
//   validate → chat JSONL (same prompt program as ICL) → upload unless the registry knows the
//   content hash → reuse a finished job for the same data and parameters, or create one → follow
//   → record the model in the run registry and write its model card folder.
//
// Both `tuneshot finetune --remote` and `tuneshot jobs follow` end in completeJob(), so a job
// followed again after Ctrl-C is recorded exactly like one followed to the end.
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { Example } from '../data/dataset.js';
import type { PromptProgram } from '../icl/prompt.js';
import { openRegistry, type Registry } from '../registry/registry.js';
import { RemoteStore, type RemoteJobRecord } from '../registry/remote.js';
import { redact } from '../registry/track.js';
import { checkCardOut, writeRemoteCard, type ModelAccess, type RemoteCard, REMOTE_CARD_FORMAT } from './card.js';
import { chatJsonl, remotePromptProgram, validateRemoteExamples } from './chat-jsonl.js';
import type { RemoteFinetuner, RemoteHyperparameters, RemoteJob } from './finetuner.js';
import { DetachedError, followJob, isTerminal, RemoteJobError, scoped, type FollowUpdate } from './follow.js';
import { JobProgress } from './progress.js';
import { createRemoteFinetuner, reconnectRemoteFinetuner, type ConnectOptions } from './providers.js';

export interface RemoteFinetuneOptions {
  /** "<provider>:<base model>", e.g. "openai:gpt-4o-mini" or "azure:gpt-4o-mini". */
  base: string;
  train: Example[];
  /** Sent as the job's validation file. */
  dev?: Example[];
  /** Closed label set, in order. */
  labels: string[];
  /** Template, instruction and verbalizers (e.g. a saved prompt.json); demonstrations are not used. */
  program?: Partial<PromptProgram>;
  hyperparameters?: RemoteHyperparameters;
  /** Part of the fine-tuned model's name (at most 64 characters). */
  suffix?: string;
  seed?: number;
  connection?: ConnectOptions;
  /** A ready provider client (tests, or compare sharing one); otherwise made from `base` and `connection`. */
  finetuner?: RemoteFinetuner;
  /** Model card folder to write when the job succeeds. */
  out?: string;
  /** File names for error messages. */
  sources?: { train?: string; dev?: string };
  /** Follow until the job ends (default true); false returns as soon as the job exists. */
  follow?: boolean;
  pollIntervalMs?: number;
  /** Aborting while following detaches (DetachedError); the job keeps running. */
  signal?: AbortSignal;
  onUpdate?: (u: FollowUpdate) => void;
  quiet?: boolean;
  /** Record a "finetune" run in the run registry (default true). */
  recordRun?: boolean;
  /** Registry folder (default $TUNESHOT_HOME, then ~/.tuneshot). */
  home?: string;
  /** The command line, for the run registry and the model card. */
  command?: string;
}

export interface RemoteFinetuneResult {
  provider: string;
  endpoint: string;
  baseModel: string;
  jobId: string;
  /** The job as last seen (succeeded, unless follow was false). */
  job: RemoteJob;
  /** Null until the job succeeded. */
  fineTunedModel: string | null;
  trainedTokens: number | null;
  /** Whether the training file and the job were reused rather than uploaded or created. */
  reused: { file: boolean; job: boolean };
  dataHash: string;
  /** The zero-shot program the model was trained on; evaluate it with this program. */
  program: PromptProgram;
  /**
   * How to call the model through the ICL scorer: createLanguageModel({ ...parseBackendSpec(backend),
   * ...backendOptions }) with an IclClassifier over `program` (k = 0).
   */
  access: ModelAccess | undefined;
  out?: string;
  runId?: number;
}

/** What completeJob() needs to write the model card when the job succeeds (kept in the registry). */
interface CardSpec {
  out: string;
  program: PromptProgram;
  labels: string[];
  examples: { train: number; dev: number };
  requested: RemoteCard['requested'];
  command?: string;
}

export function parseRemoteBase(base: string): { provider: string; model: string } {
  const i = base.indexOf(':');
  if (i <= 0 || i === base.length - 1) throw new Error(`remote base model must look like "<provider>:<model>" (e.g. openai:gpt-4o-mini), got "${base}"`);
  return { provider: base.slice(0, i), model: base.slice(i + 1) };
}

/** Checks hyperparameters at the library boundary; returns them without "auto" (= absent). */
export function checkHyperparameters(h: RemoteHyperparameters = {}): RemoteHyperparameters {
  const out: RemoteHyperparameters = {};
  const known = new Set(['n_epochs', 'batch_size', 'learning_rate_multiplier']);
  for (const k of Object.keys(h)) if (!known.has(k)) throw new Error(`unknown hyperparameter "${k}" (known: ${[...known].join(', ')})`);
  const int = (name: 'n_epochs' | 'batch_size', max: number) => {
    const v = h[name];
    if (v === undefined || v === 'auto') return;
    if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`${name} must be an integer from 1 to ${max} or "auto", got ${String(v)}`);
    out[name] = v;
  };
  int('n_epochs', 50);
  int('batch_size', 256);
  const lr = h.learning_rate_multiplier;
  if (lr !== undefined && lr !== 'auto') {
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr <= 0 || lr > 10) throw new Error(`learning_rate_multiplier must be a number in (0, 10] or "auto", got ${String(lr)}`);
    out.learning_rate_multiplier = lr;
  }
  return out;
}

function checkSuffix(s: string | undefined): void {
  if (s === undefined) return;
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(s)) throw new Error(`suffix must be 1 to 64 letters, digits, ".", "_" or "-", got ${JSON.stringify(s)}`);
}

/** Canonical JSON of what, with the data hash and base model, makes two jobs the same. */
export function jobParams(h: RemoteHyperparameters, suffix?: string, seed?: number): string {
  const hp = Object.fromEntries(Object.entries(h).sort(([a], [b]) => a.localeCompare(b)));
  return JSON.stringify({ hyperparameters: hp, suffix: suffix ?? null, seed: seed ?? null });
}

function withRegistry<T>(home: string | undefined, fn: (reg: Registry, store: RemoteStore) => T): T {
  const reg = openRegistry(home);
  try {
    return fn(reg, new RemoteStore(reg));
  } finally {
    reg.close();
  }
}

/** Reuse the file uploaded earlier with this content (if the provider still has it), else upload. */
async function ensureFile(ft: RemoteFinetuner, home: string | undefined, name: string, content: Buffer, sha256: string, signal?: AbortSignal): Promise<{ id: string; reused: boolean }> {
  const known = withRegistry(home, (_, s) => s.findFile(ft.provider, ft.endpoint, sha256));
  if (known && (await scoped(signal, (c) => ft.fileExists(known.fileId, c)))) return { id: known.fileId, reused: true };
  const f = await scoped(signal, (c) => ft.uploadFile(name, content, c));
  withRegistry(home, (_, s) => s.recordFile(ft.provider, ft.endpoint, sha256, { fileId: f.id, bytes: f.bytes }));
  return { id: f.id, reused: false };
}

function accessOf(ft: RemoteFinetuner, fineTunedModel: string): ModelAccess {
  const a = ft.modelAccess(fineTunedModel);
  if ('unavailable' in a) return a;
  return { backend: a.backend, backendOptions: { ...(a.baseURL ? { baseURL: a.baseURL } : {}), scoring: 'generate' } };
}

export async function remoteFinetune(o: RemoteFinetuneOptions): Promise<RemoteFinetuneResult> {
  const { provider, model: baseModel } = parseRemoteBase(o.base);
  const hyperparameters = checkHyperparameters(o.hyperparameters);
  checkSuffix(o.suffix);
  if (o.seed !== undefined && (!Number.isInteger(o.seed) || o.seed < 0)) throw new Error(`seed must be a non-negative integer, got ${o.seed}`);
  if (o.pollIntervalMs !== undefined && !(o.pollIntervalMs > 0)) throw new Error(`pollIntervalMs must be positive, got ${o.pollIntervalMs}`);
  if (new Set(o.labels).size !== o.labels.length) throw new Error(`duplicate labels in ${JSON.stringify(o.labels)}`);
  const program = remotePromptProgram(o.labels, o.program);
  if (o.out !== undefined) checkCardOut(o.out);
  const ft = o.finetuner ?? (await createRemoteFinetuner(provider, o.connection));
  if (ft.provider !== provider) throw new Error(`the given finetuner is for ${ft.provider}, the base model for ${provider}`);

  // Everything the provider would refuse fails here, before anything is uploaded.
  validateRemoteExamples(program, o.train, { what: 'training', source: o.sources?.train, minExamples: ft.minExamples, provider });
  if (o.dev) validateRemoteExamples(program, o.dev, { what: 'validation', source: o.sources?.dev });
  const train = chatJsonl(program, o.train);
  const dev = o.dev && o.dev.length > 0 ? chatJsonl(program, o.dev) : undefined;
  const dataHash = createHash('sha256').update(`${train.sha256}\n${dev?.sha256 ?? ''}`).digest('hex');
  const params = jobParams(hyperparameters, o.suffix, o.seed);
  const requested = { hyperparameters, ...(o.suffix !== undefined ? { suffix: o.suffix } : {}), ...(o.seed !== undefined ? { seed: o.seed } : {}) };
  const card: CardSpec | undefined = o.out !== undefined
    ? { out: path.resolve(o.out), program, labels: o.labels, examples: { train: o.train.length, dev: o.dev?.length ?? 0 }, requested, ...(o.command ? { command: o.command } : {}) }
    : undefined;

  // A finished job for the same data and parameters is reused; one still running is followed.
  let job: RemoteJob | undefined;
  let reusedFile = false;
  for (const rec of withRegistry(o.home, (_, s) => s.findJobs(provider, ft.endpoint, baseModel, dataHash, params))) {
    if (rec.status === 'failed' || rec.status === 'cancelled') continue;
    let seen: RemoteJob;
    try {
      seen = await scoped(o.signal, (c) => ft.getJob(rec.jobId, c));
    } catch {
      continue; // gone from the provider (or another account): train anew
    }
    if (seen.status === 'succeeded' && seen.fineTunedModel) { job = seen; break; }
    if (!isTerminal(seen.status)) { job = seen; break; }
    // Ended badly while nobody followed it: note it, and train anew.
    withRegistry(o.home, (_, s) => s.updateJob(provider, ft.endpoint, rec.jobId, { status: seen.status, error: seen.error?.message ?? seen.status }));
  }
  const reusedJob = job !== undefined;

  if (!job) {
    let stage = 'before a job was created; nothing is running';
    try {
      const trainFile = await ensureFile(ft, o.home, `tuneshot-train-${train.sha256.slice(0, 12)}.jsonl`, train.content, train.sha256, o.signal);
      const devFile = dev ? await ensureFile(ft, o.home, `tuneshot-dev-${dev.sha256.slice(0, 12)}.jsonl`, dev.content, dev.sha256, o.signal) : undefined;
      reusedFile = trainFile.reused;
      if (o.signal?.aborted) throw new Error('aborted');
      stage = 'while the job was being created; `tuneshot jobs ls` shows whether it was';
      job = await scoped(o.signal, (c) => ft.createJob({
        model: baseModel, trainingFile: trainFile.id, ...(devFile ? { validationFile: devFile.id } : {}), hyperparameters,
        ...(o.suffix !== undefined ? { suffix: o.suffix } : {}), ...(o.seed !== undefined ? { seed: o.seed } : {}),
      }, c));
    } catch (err) {
      if (o.signal?.aborted) throw new Error(`interrupted ${stage}`);
      throw err;
    }
  }
  const created = job;

  const runId = o.recordRun === false ? undefined : withRegistry(o.home, (reg) => reg.recordRun({
    kind: 'finetune',
    config: redact({
      ...(o.command ? { command: o.command } : {}), remote: provider, endpoint: ft.endpoint, model: baseModel, jobId: created.id,
      hyperparameters, ...(o.suffix !== undefined ? { suffix: o.suffix } : {}), ...(o.seed !== undefined ? { seed: o.seed } : {}),
      labels: o.labels, examples: { train: o.train.length, dev: o.dev?.length ?? 0 }, reusedJob, reusedFile,
      ...(card ? { out: card.out } : {}),
    }),
    inputHash: dataHash,
    artifacts: card ? [card.out] : [],
    status: 'running',
  }));
  withRegistry(o.home, (_, s) => {
    const existing = s.jobsById(created.id).find((r) => r.provider === provider && r.endpoint === ft.endpoint);
    if (existing) {
      s.updateJob(provider, ft.endpoint, created.id, { ...(runId !== undefined ? { runId } : {}), ...(card ? { card } : {}) });
    } else {
      s.recordJob({
        provider, endpoint: ft.endpoint, jobId: created.id, runId: runId ?? null, baseModel, dataHash, params, status: created.status,
        fineTunedModel: created.fineTunedModel, trainedTokens: created.trainedTokens, error: null, settings: ft.settings, card: card ?? null,
      });
    }
  });

  const base = { provider, endpoint: ft.endpoint, baseModel, jobId: created.id, reused: { file: reusedFile, job: reusedJob }, dataHash, program };
  if (o.follow === false && !isTerminal(created.status)) {
    return { ...base, job: created, fineTunedModel: null, trainedTokens: null, access: undefined, ...(runId !== undefined ? { runId } : {}) };
  }
  const final = isTerminal(created.status) ? created : await follow(ft, created.id, o);
  const done = await completeJob(ft, final, o.home);
  return {
    ...base, job: final, fineTunedModel: final.fineTunedModel, trainedTokens: final.trainedTokens, access: done.access,
    ...(done.out ? { out: done.out } : {}), ...(runId !== undefined ? { runId } : {}),
  };
}

async function follow(ft: RemoteFinetuner, jobId: string, o: { pollIntervalMs?: number; signal?: AbortSignal; onUpdate?: (u: FollowUpdate) => void; quiet?: boolean }): Promise<RemoteJob> {
  const progress = new JobProgress({ quiet: !!o.quiet || o.onUpdate !== undefined });
  let seen = false;
  try {
    return await followJob(ft, jobId, {
      ...(o.pollIntervalMs !== undefined ? { pollIntervalMs: o.pollIntervalMs } : {}), ...(o.signal ? { signal: o.signal } : {}),
      onUpdate: (u) => { seen = true; progress.update(u); o.onUpdate?.(u); },
    });
  } catch (err) {
    if (err instanceof DetachedError || !seen) throw err;
    // The job itself is unaffected by a lost connection; say how to pick it up again.
    throw new Error(`${(err as Error).message} (job ${jobId} keeps running; follow it with: tuneshot jobs follow ${jobId})`);
  } finally {
    progress.stop();
  }
}

/**
 * Records a job that reached a terminal status: the registry's job row and run, and on success
 * the model card folder. Throws RemoteJobError (with the provider's message) for failed and
 * cancelled jobs.
 */
export async function completeJob(ft: RemoteFinetuner, job: RemoteJob, home?: string): Promise<{ access?: ModelAccess; out?: string }> {
  const rec = withRegistry(home, (_, s) => s.jobsById(job.id).find((r) => r.provider === ft.provider && r.endpoint === ft.endpoint));
  if (job.status === 'succeeded' && !job.fineTunedModel) throw new Error(`job ${job.id} succeeded but the provider gave no fine_tuned_model`);
  if (job.status !== 'succeeded') {
    const err = new RemoteJobError(job);
    withRegistry(home, (reg, s) => {
      if (!rec) return;
      s.updateJob(rec.provider, rec.endpoint, job.id, { status: job.status, error: job.error?.message ?? job.status });
      if (rec.runId !== null && reg.getRun(rec.runId)) {
        reg.updateRun(rec.runId, { status: job.status === 'cancelled' ? 'cancelled' : 'failed', metrics: { error: err.message, jobId: job.id } });
      }
    });
    throw err;
  }
  const access = accessOf(ft, job.fineTunedModel!);
  let out: string | undefined;
  const spec = rec?.card as CardSpec | null | undefined;
  if (spec) {
    const c: RemoteCard = {
      format: REMOTE_CARD_FORMAT, version: 1, provider: ft.provider, endpoint: ft.endpoint, settings: ft.settings,
      baseModel: job.model, fineTunedModel: job.fineTunedModel!, jobId: job.id, trainedTokens: job.trainedTokens,
      hyperparameters: job.hyperparameters, requested: spec.requested, labels: spec.labels, instruction: spec.program.instruction, examples: spec.examples,
      trainingFile: job.trainingFile, validationFile: job.validationFile, dataHash: rec!.dataHash, access,
      ...(spec.command ? { command: spec.command } : {}), createdAt: new Date().toISOString(),
    };
    out = await writeRemoteCard(spec.out, c, spec.program);
  }
  withRegistry(home, (reg, s) => {
    if (!rec) return;
    s.updateJob(rec.provider, rec.endpoint, job.id, { status: job.status, fineTunedModel: job.fineTunedModel, trainedTokens: job.trainedTokens });
    if (rec.runId !== null && reg.getRun(rec.runId)) {
      reg.updateRun(rec.runId, {
        status: 'succeeded',
        metrics: {
          remote: ft.provider, trainedTokens: job.trainedTokens, baseModel: job.model, fineTunedModel: job.fineTunedModel,
          jobId: job.id, ...('backend' in access ? { modelSpec: access.backend } : {}),
        },
      });
    }
  });
  return { access, ...(out ? { out } : {}) };
}

export interface FollowRemoteJobOptions {
  /** Provider when the registry does not know the job (default "openai"). */
  provider?: string;
  connection?: ConnectOptions;
  pollIntervalMs?: number;
  signal?: AbortSignal;
  onUpdate?: (u: FollowUpdate) => void;
  quiet?: boolean;
  home?: string;
}

/** The registry's record of a job id, if tuneshot created it. */
export function findRemoteJob(jobId: string, home?: string): RemoteJobRecord | undefined {
  return withRegistry(home, (_, s) => s.jobsById(jobId)[0]);
}

/** A finetuner for the endpoint the registry recorded for this job, else from the options. */
export async function finetunerForJob(jobId: string, o: { provider?: string; connection?: ConnectOptions; home?: string }): Promise<{ ft: RemoteFinetuner; record?: RemoteJobRecord }> {
  const record = findRemoteJob(jobId, o.home);
  if (record) {
    // A --base-url given now does not move the job: it lives where it was created.
    const { baseURL: _b, azureEndpoint: _a, ...credentials } = o.connection ?? {};
    return { ft: await reconnectRemoteFinetuner(record.provider, record.endpoint, record.settings, credentials), record };
  }
  return { ft: await createRemoteFinetuner(o.provider ?? 'openai', o.connection) };
}

/** `tuneshot jobs follow`: follow a job to its end, then record it like remoteFinetune does. */
export async function followRemoteJob(jobId: string, o: FollowRemoteJobOptions = {}): Promise<{ job: RemoteJob; access?: ModelAccess; out?: string }> {
  const { ft } = await finetunerForJob(jobId, o);
  const job = await follow(ft, jobId, o);
  const done = await completeJob(ft, job, o.home);
  return { job, ...done };
}

/** `tuneshot jobs cancel`: cancel on the provider and record it. */
export async function cancelRemoteJob(jobId: string, o: { provider?: string; connection?: ConnectOptions; home?: string } = {}): Promise<RemoteJob> {
  const { ft, record } = await finetunerForJob(jobId, o);
  const job = await ft.cancelJob(jobId);
  if (record) {
    withRegistry(o.home, (reg, s) => {
      s.updateJob(record.provider, record.endpoint, jobId, { status: job.status });
      if (job.status === 'cancelled' && record.runId !== null && reg.getRun(record.runId)?.status === 'running') {
        reg.updateRun(record.runId, { status: 'cancelled', metrics: { jobId, error: `job ${jobId} cancelled` } });
      }
    });
  }
  return job;
}
