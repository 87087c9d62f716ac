// Following a remote job until it ends: poll the job and its events, report each change, stop on a
// terminal status. An abort (Ctrl-C) detaches without touching the job, which keeps running on
// the provider; `tuneshot jobs follow <id>` picks it up again.
import { TERMINAL_STATUSES, type RemoteFinetuner, type RemoteJob, type RemoteJobEvent } from './finetuner.js';

export interface FollowUpdate {
  job: RemoteJob;
  /** Events not reported before, oldest first. */
  events: RemoteJobEvent[];
  /** The newest event seen so far. */
  latest: RemoteJobEvent | undefined;
  elapsedSeconds: number;
}

export interface FollowOptions {
  /** Between polls (default 5 000 ms). */
  pollIntervalMs?: number;
  /** Aborting detaches: followJob throws DetachedError and the job keeps running. */
  signal?: AbortSignal;
  onUpdate?: (u: FollowUpdate) => void;
}

/** Following stopped on request; the job itself was left alone. */
export class DetachedError extends Error {
  constructor(readonly jobId: string) {
    super(`detached from job ${jobId}; it keeps running. Follow it again with: tuneshot jobs follow ${jobId}`);
    this.name = 'DetachedError';
  }
}

/** A job that ended failed or cancelled, with the provider's message. */
export class RemoteJobError extends Error {
  constructor(readonly job: RemoteJob) {
    super(`job ${job.id} ${job.status}${job.error ? `: ${job.error.message}${job.error.code ? ` (${job.error.code})` : ''}` : ''}`);
    this.name = 'RemoteJobError';
  }
}

export const isTerminal = (status: string) => TERMINAL_STATUSES.includes(status);

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs one request with its own signal, tied to `outer` only while it runs: the official client
 * adds an abort listener to the signal it is given and never removes it, which over hours of
 * polling one long-lived signal would pile up.
 */
export async function scoped<T>(outer: AbortSignal | undefined, fn: (control: { signal?: AbortSignal }) => Promise<T>): Promise<T> {
  if (!outer) return fn({});
  const inner = new AbortController();
  const abort = () => inner.abort();
  if (outer.aborted) inner.abort();
  else outer.addEventListener('abort', abort, { once: true });
  try {
    return await fn({ signal: inner.signal });
  } finally {
    outer.removeEventListener('abort', abort);
  }
}

/** Polls until the job reaches succeeded, failed or cancelled and returns it (whatever that status). */
export async function followJob(ft: RemoteFinetuner, jobId: string, o: FollowOptions = {}): Promise<RemoteJob> {
  const started = Date.now();
  const seen = new Set<string>();
  let latest: RemoteJobEvent | undefined;
  for (;;) {
    if (o.signal?.aborted) throw new DetachedError(jobId);
    let job: RemoteJob;
    let events: RemoteJobEvent[];
    try {
      job = await scoped(o.signal, (c) => ft.getJob(jobId, c));
      events = await scoped(o.signal, (c) => ft.listEvents(jobId, 20, c));
    } catch (err) {
      if (o.signal?.aborted) throw new DetachedError(jobId);
      throw err;
    }
    const fresh = events.filter((e) => !seen.has(e.id)).reverse();
    for (const e of fresh) seen.add(e.id);
    if (events[0] && (!latest || events[0].createdAt >= latest.createdAt)) latest = events[0];
    o.onUpdate?.({ job, events: fresh, latest, elapsedSeconds: (Date.now() - started) / 1000 });
    if (isTerminal(job.status)) return job;
    await sleep(o.pollIntervalMs ?? 5000, o.signal);
  }
}
