// Admission control and cancellation. At most `limit` model requests are admitted at once (waiting
// or running; beyond it 429 + Retry-After). Each admitted request holds a slot whose AbortSignal
// fires when its client disconnects or its time runs out (504); the slot is given back at that very
// moment, without waiting for the model to notice (the builtin engine stops before its next token,
// a queued classify request leaves the batcher's queue).
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { ApiError, clientClosed, timedOut } from './errors.js';
import type { ServerMetrics } from './metrics.js';

export interface AdmissionOptions {
  /** Model requests admitted at once. */
  limit: number;
  /** Per-request time limit (504 beyond). */
  timeoutMs: number;
  /** Retry-After seconds sent with 429. */
  retryAfterSeconds: number;
}

export class Slot {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private released = false;

  constructor(
    private readonly res: ServerResponse,
    timeoutMs: number,
    private readonly free: () => void,
    onCancel: (reason: ApiError) => void,
  ) {
    this.timer = setTimeout(() => this.cancel(timedOut(timeoutMs)), timeoutMs);
    res.on('close', this.onClose);
    this.controller.signal.addEventListener('abort', () => {
      onCancel(this.controller.signal.reason as ApiError);
      this.release();
    });
    // The client may have left while the body was read: its 'close' has already gone by.
    if (!res.socket || res.socket.destroyed) this.cancel(clientClosed());
  }

  /** Aborted when the request is cancelled: pass it to the model. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Runs `work` in this slot: settles as it does, or rejects with the reason as soon as the request is cancelled. */
  hold<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const signal = this.signal;
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      const done = () => signal.removeEventListener('abort', onAbort);
      // The work may still settle after a cancellation: it is waited for by nobody, and handled here.
      Promise.resolve()
        .then(() => work(signal))
        .then(
          (v) => (done(), resolve(v)),
          (e: unknown) => (done(), reject(e)),
        );
    });
  }

  /** Gives the slot back (idempotent). */
  release(): void {
    if (this.released) return;
    this.released = true;
    clearTimeout(this.timer);
    this.res.off('close', this.onClose);
    this.free();
  }

  private cancel(reason: ApiError): void {
    if (!this.released && !this.controller.signal.aborted) this.controller.abort(reason);
  }

  // 'close' before the response finished: the client went away (or the socket broke).
  private readonly onClose = () => {
    if (!this.res.writableFinished) this.cancel(clientClosed());
  };
}

export class Admission {
  private admitted = 0;

  constructor(
    private readonly options: AdmissionOptions,
    private readonly metrics: ServerMetrics,
  ) {
    metrics.queueDepth.track(() => this.admitted);
  }

  /** Takes a slot for the request answered by `reply` (429 when none is free). The caller releases it. */
  enter(reply: FastifyReply): Slot {
    if (this.admitted >= this.options.limit) {
      this.metrics.rejected.inc();
      throw new ApiError(429, `server busy: ${this.admitted} requests queued (limit ${this.options.limit})`, 'rate_limit_error', 'queue_full', null, {
        'retry-after': String(this.options.retryAfterSeconds),
      });
    }
    this.admitted++;
    return new Slot(reply.raw, this.options.timeoutMs, () => this.admitted--, (reason) => this.metrics.cancelled.inc({ reason: reason.code ?? 'unknown' }));
  }

  /** Runs `work` in a slot of its own, released when the work settles or the request is cancelled. */
  async run<T>(reply: FastifyReply, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const slot = this.enter(reply);
    try {
      return await slot.hold(work);
    } finally {
      slot.release();
    }
  }
}
