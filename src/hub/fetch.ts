// The fetch the Hub client gets: never a network call when offline, the token only to the
// configured endpoint (also across redirects, e.g. to a CDN), the Hub's X-Error-Code kept for the
// error message, and "cannot connect" told apart from an HTTP error so the cache can take over.
import type { HubSettings } from './settings.js';

export class NetworkError extends Error {
  override name = 'NetworkError';
}

/** Raised instead of any request when offline: a bug if it ever reaches the user. */
export class OfflineError extends Error {
  override name = 'OfflineError';
}

export interface FailedResponse {
  url: string;
  status: number;
  /** The Hub's X-Error-Code header: RepoNotFound, GatedRepo, RevisionNotFound, EntryNotFound... */
  code?: string;
  message?: string;
}

export interface HubFetch {
  fetch: typeof fetch;
  /** The last non-2xx response, for the error message. */
  lastFailure?: FailedResponse;
  requests: number;
}

const MAX_REDIRECTS = 10;

export function hubFetch(s: HubSettings): HubFetch {
  const endpoint = new URL(s.endpoint).origin;
  const state: HubFetch = { requests: 0, fetch: undefined as unknown as typeof fetch };
  state.fetch = async (input, init) => {
    if (s.offline) throw new OfflineError(`offline: refusing to fetch ${String(input)}`);
    let url = new URL(input instanceof Request ? input.url : String(input));
    const headers = new Headers(init?.headers);
    const auth = s.token ? `Bearer ${s.token}` : undefined;
    for (let hop = 0; ; hop++) {
      // The Hub token goes to the Hub only; other credentials (e.g. Xet's own) are left alone.
      const h = new Headers(headers);
      if (auth && h.get('authorization') === auth && url.origin !== endpoint) h.delete('authorization');
      let res: Response;
      try {
        state.requests++;
        res = await fetch(url, { ...init, headers: h, redirect: 'manual' });
      } catch (e) {
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        throw new NetworkError(`cannot reach ${url.origin} (${cause?.code ?? cause?.message ?? (e as Error).message})`);
      }
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location && hop < MAX_REDIRECTS) {
        await res.body?.cancel();
        url = new URL(location, url);
        continue;
      }
      if (!res.ok) {
        state.lastFailure = {
          url: url.href, status: res.status,
          ...(res.headers.get('x-error-code') ? { code: res.headers.get('x-error-code')! } : {}),
          ...(res.headers.get('x-error-message') ? { message: res.headers.get('x-error-message')! } : {}),
        };
      }
      return res;
    }
  };
  return state;
}
