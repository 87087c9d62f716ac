// Small HTTP helpers shared by remote backends: a concurrency limiter, JSON POST with timeouts and
// retries (exponential backoff on 429/5xx/network errors that respects Retry-After).

export class Semaphore {
  private active = 0;
  private readonly waiters: (() => void)[] = [];
  constructor(private readonly limit: number) {
    if (!(limit >= 1)) throw new Error(`concurrency limit must be >= 1, got ${limit}`);
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiters.shift()?.();
    }
  }
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export class RequestTimeoutError extends Error {
  constructor(url: string, ms: number) {
    super(`request to ${url} timed out after ${ms} ms`);
    this.name = 'RequestTimeoutError';
  }
}

/** The server could not be reached (refused, unknown host, reset): names the URL and the cause. */
export class NetworkError extends Error {
  constructor(readonly url: string, cause: unknown) {
    const c = (cause as { cause?: { code?: string; message?: string } } | undefined)?.cause;
    const why = c?.code ?? c?.message ?? (cause instanceof Error ? cause.message : String(cause));
    super(`cannot reach ${url} (${why})`);
    this.name = 'NetworkError';
  }
}

export interface RetryOptions {
  timeoutMs: number;
  maxRetries: number;
  /** First backoff delay; doubles each attempt (with jitter), capped at maxBackoffMs. */
  minBackoffMs: number;
  maxBackoffMs: number;
  /** Called before each retry wait (for logging and tests). */
  onRetry?: (info: { attempt: number; delayMs: number; status?: number; error?: unknown }) => void;
}

/** Delay asked for by Retry-After (seconds or an HTTP date) or retry-after-ms, if any. */
export function retryAfterMs(headers: Headers): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const ra = headers.get('retry-after');
  if (ra === null) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(ra)) return Math.max(0, Number(ra) * 1000);
  const date = Date.parse(ra);
  if (Number.isFinite(date)) return Math.max(0, date - Date.now());
  return undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function errorMessage(body: unknown, fallback: string): string {
  if (body && typeof body === 'object') {
    const e = (body as { error?: unknown }).error;
    if (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') {
      return (e as { message: string }).message;
    }
    if (typeof e === 'string') return e;
  }
  if (typeof body === 'string' && body.length > 0) return body.slice(0, 500);
  return fallback;
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string>,
  options: RetryOptions,
  fetchImpl: typeof fetch = fetch,
): Promise<unknown> {
  for (let attempt = 0; ; attempt++) {
    let status: number | undefined;
    let delay: number | undefined;
    let lastError: unknown;
    try {
      const res = await fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text.length > 0 ? JSON.parse(text) : undefined;
      } catch {
        // keep the text
      }
      if (res.ok) return parsed;
      status = res.status;
      lastError = new HttpError(res.status, `${url}: HTTP ${res.status}: ${errorMessage(parsed, res.statusText)}`, parsed);
      if (res.status !== 429 && res.status < 500) throw lastError;
      delay = retryAfterMs(res.headers);
    } catch (err) {
      if (err instanceof HttpError && err.status !== 429 && err.status < 500) throw err;
      if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
        lastError = new RequestTimeoutError(url, options.timeoutMs);
      } else if (!(err instanceof HttpError)) {
        lastError = new NetworkError(url, err);
      }
    }
    if (attempt >= options.maxRetries) throw lastError;
    if (delay === undefined) {
      const base = Math.min(options.maxBackoffMs, options.minBackoffMs * 2 ** attempt);
      delay = base * (0.5 + Math.random() * 0.5);
    }
    options.onRetry?.({ attempt: attempt + 1, delayMs: delay, status, error: lastError });
    await sleep(delay);
  }
}
