// One-line errors for everything that can go wrong between a model id and a usable snapshot,
// each naming the id, the revision or the folder, and the fix.
import type { HubApiError } from '@huggingface/hub';
import type { FailedResponse } from './fetch.js';
import { formatRef, type HubRef } from './repo-id.js';
import type { HubSettings } from './settings.js';

export type HubErrorKind =
  | 'repo-not-found' | 'gated' | 'bad-token' | 'revision-not-found' | 'file-not-found' | 'pickle-only' | 'no-weights'
  | 'no-tokenizer' | 'offline-not-cached' | 'unreachable' | 'disk-full' | 'checksum' | 'interrupted' | 'not-cached' | 'not-writable';

export class HubError extends Error {
  override name = 'HubError';
  constructor(readonly kind: HubErrorKind, message: string) {
    super(message);
  }
}

// Duck-typed: the client is imported lazily (it costs a second of start-up to every command).
const isHubApiError = (e: unknown): e is HubApiError => e instanceof Error && typeof (e as HubApiError).statusCode === 'number' && typeof (e as HubApiError).url === 'string';

export const repoUrl = (s: HubSettings, id: string) => `${s.endpoint}/${id}`;

/** Turn what the Hub client threw into a HubError (or return other errors as they are). */
export function classifyHubError(e: unknown, ref: HubRef, s: HubSettings, failure?: FailedResponse): unknown {
  if (e instanceof TypeError && /access token must start with 'hf_'/.test(e.message)) {
    return new HubError('bad-token', `HF_TOKEN is not a Hugging Face access token (those start with "hf_"); create one at ${s.endpoint}/settings/tokens`);
  }
  if (!isHubApiError(e)) return e;
  const what = formatRef(ref);
  const status = e.statusCode;
  const code = failure?.code;
  // The Hub's own message (e.message also holds the URL, whose query may say "expand=gated").
  const said = String((e.data as { error?: unknown } | undefined)?.error ?? failure?.message ?? '');
  const gatedText = /gated|restricted|awaiting a review|access to model/i.test(said);
  if (code === 'GatedRepo' || ((status === 401 || status === 403) && gatedText)) {
    return new HubError('gated', `${ref.id} is a gated model: accept its licence at ${repoUrl(s, ref.id)} and set HF_TOKEN to an access token of that account${s.token ? ' (the Hub refused the current HF_TOKEN for it)' : ''}`);
  }
  if (code === 'RevisionNotFound' || (status === 404 && /invalid rev|revision/i.test(said))) {
    return new HubError('revision-not-found', `${ref.id} has no revision "${ref.revision}" (a branch, tag or 40-hex commit of ${repoUrl(s, ref.id)})`);
  }
  if (code === 'EntryNotFound') return new HubError('file-not-found', `${what}: a file listed by the Hub is missing (${failure?.url ?? e.url}); try again or pin another revision`);
  if (code === 'RepoNotFound' || status === 404 || (status === 401 && !s.token)) {
    return new HubError('repo-not-found', `model "${ref.id}" not found on ${s.endpoint}${s.token ? '' : ' (if it is private or gated, set HF_TOKEN)'}`);
  }
  if (status === 401) {
    return new HubError('bad-token', `${s.endpoint} refused HF_TOKEN for ${ref.id} (401): set HF_TOKEN to a valid token; if the model is gated or private, of an account that has access to ${repoUrl(s, ref.id)}`);
  }
  if (status === 403) {
    return new HubError('gated', `${ref.id}: access denied (403): accept its licence at ${repoUrl(s, ref.id)} and set HF_TOKEN to an access token of that account`);
  }
  return new HubError('unreachable', `${what}: the Hub answered ${status} for ${failure?.url ?? e.url}`);
}

/** A failed write into the cache (disk full, no permission) as a one-line error. */
export function classifyFsError(e: unknown, file: string, s: HubSettings): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new HubError('disk-full', `no space left on the disk of ${s.cacheDir} while writing ${file}; free some space (tuneshot models rm <id>) or set HF_HUB_CACHE to a folder on a bigger disk, then run again to resume`);
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new HubError('not-writable', `cannot write ${file} (${code}): the Hugging Face cache ${s.cacheDir} is not writable; set HF_HUB_CACHE to a writable folder`);
  }
  return e;
}
