// Hub model names as users type them: "org/name", a legacy un-namespaced "name", with an optional
// "@revision" (a branch, a tag, or a 40-hex commit).
export interface HubRef {
  /** Repository id, e.g. "Qwen/Qwen2.5-0.5B-Instruct" or "distilbert-base-uncased". */
  id: string;
  /** Branch, tag or commit; "main" when not given. */
  revision: string;
  /** The revision is a full commit hash (immutable: the cache is always enough). */
  pinned: boolean;
}

// huggingface_hub's validate_repo_id: word characters, "-" and "."; at most one "/"; no "--" or "..".
const REPO_ID = /^(?:\b[\w.-]+\b\/)?\b[\w.-]{1,96}\b$/;
export const COMMIT = /^[0-9a-f]{40}$/;

export function isHubId(id: string): boolean {
  return REPO_ID.test(id) && !id.includes('--') && !id.includes('..') && !id.endsWith('.git');
}

/** "org/name@rev" -> its parts; undefined when it cannot be a Hub model id. */
export function parseHubRef(spec: string): HubRef | undefined {
  const at = spec.indexOf('@');
  const id = at < 0 ? spec : spec.slice(0, at);
  const revision = at < 0 ? 'main' : spec.slice(at + 1);
  if (!isHubId(id) || revision === '' || /\s/.test(revision) || revision.includes('..')) return undefined;
  return { id, revision, pinned: COMMIT.test(revision) };
}

export const formatRef = (r: { id: string; revision: string }) => (r.revision === 'main' ? r.id : `${r.id}@${r.revision}`);
