// Record a run in the registry around the work itself: "running" first, then "succeeded" with its
// metrics or "failed" with the error, so a killed or crashed run still shows up in `tuneshot runs`.
import { existsSync, statSync } from 'node:fs';
import { hashInputs, openRegistry, type RunKind } from './registry.js';
import { collectHubModels } from '../hub/provenance.js';

export async function trackRun<T>(
  kind: RunKind,
  config: Record<string, unknown>,
  inputs: string[],
  artifacts: string[],
  work: () => Promise<T>,
  metricsOf: (result: T) => Record<string, unknown>,
): Promise<T> {
  config = redact(config);
  const files = inputs.filter((p) => existsSync(p) && statSync(p).isFile());
  const registry = openRegistry();
  const id = registry.recordRun({ kind, config, inputHash: await hashInputs(files), artifacts, status: 'running' });
  try {
    // Every Hub model the work resolves (id, revision, exact commit) goes into the recorded config.
    const result = await collectHubModels(work, (hubModels) => registry.updateRun(id, { config: { ...config, hubModels } }));
    registry.updateRun(id, { status: 'succeeded', metrics: metricsOf(result) });
    return result;
  } catch (e) {
    registry.updateRun(id, { status: 'failed', metrics: { error: e instanceof Error ? e.message : String(e) } });
    throw e;
  } finally {
    registry.close();
  }
}

/** Never store credentials: drop key/token/secret fields, and their values from a recorded command line. */
export function redact(config: Record<string, unknown>): Record<string, unknown> {
  const secret = /key|token|secret|password/i;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (secret.test(k)) continue;
    out[k] = typeof v === 'string' ? v.replace(/(--[\w-]*(?:key|token|secret|password)[\w-]*)(?:[ =])\S+/gi, '$1 ***') : v;
  }
  return out;
}
