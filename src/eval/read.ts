// Reading results.json back: validated against the schema of its version, older versions upgraded.
import { readFileSync } from 'node:fs';
import { formatIssuesOf } from './issues.js';
import { CompareResultsSchema, RESULTS_VERSION, type CompareResults } from './results.js';
import { parseResultsV1, upgradeV1 } from './results-v1.js';

/** Validates parsed JSON as CompareResults, upgrading versions 1 and 2 (throws a readable error listing the bad fields). */
export function parseResults(json: unknown): CompareResults {
  const version = (json as { version?: unknown } | null)?.version;
  if (version === 1) return upgradeV1(parseResultsV1(json));
  // Version 2 is version 3 without the remote kind and cell jobs: its files validate as they are.
  if (version === 2) return parseResults({ ...(json as object), version: RESULTS_VERSION });
  if (version !== RESULTS_VERSION) throw new Error(`invalid compare results:\n  version: this tuneshot reads versions 1 to ${RESULTS_VERSION}, got ${JSON.stringify(version)}`);
  const r = CompareResultsSchema.safeParse(json);
  if (!r.success) throw new Error(`invalid compare results:\n${formatIssuesOf(r.error)}`);
  const res = r.data;
  const ids = new Set(res.arms.map((m) => m.id));
  for (const c of res.cells) {
    if (!ids.has(c.arm)) throw new Error(`invalid compare results: cell names unknown arm ${c.arm}`);
  }
  return res;
}

/** Reads and validates a results.json; errors name the file. */
export function readResults(path: string): CompareResults {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'EISDIR' ? `${path}: cannot read (a folder; give its results.json)` : `${path}: cannot read: ${code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not JSON, not a compare results.json (${(e as Error).message})`);
  }
  try {
    return parseResults(json);
  } catch (e) {
    throw new Error(`${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
