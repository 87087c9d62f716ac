// Record a run in the registry around the work itself: "running" first, then "succeeded" with its
// metrics or "failed" with the error, so a killed or crashed run still shows up in `tuneshot runs`.
import { existsSync, statSync } from 'node:fs';
import { hashInputs, openRegistry, type Registry, type RunKind, type RunStatus } from './registry.js';
import { collectHubModels } from '../hub/provenance.js';

export interface TrackOptions<T> {
  /** Where to record: an open Registry (left open), a home folder, or false for nowhere (default: $TUNESHOT_HOME). */
  registry?: Registry | string | false;
  /** The input hash to record instead of hashing the `inputs` files (e.g. for data given in memory). */
  inputHash?: string;
  /** Status of a run that returned (default 'succeeded'), e.g. 'failed' when some of its parts failed. */
  statusOf?: (result: T) => RunStatus;
  /** Artifacts to record once the run returned (default: the `artifacts` given up front). */
  artifactsOf?: (result: T) => string[];
}

/** `work` gets the id of the recorded run (undefined when recording nowhere). */
export async function trackRun<T>(
  kind: RunKind,
  config: Record<string, unknown>,
  inputs: string[],
  artifacts: string[],
  work: (runId: number | undefined) => Promise<T>,
  metricsOf: (result: T) => Record<string, unknown>,
  options: TrackOptions<T> = {},
): Promise<T> {
  if (options.registry === false) return work(undefined);
  config = redact(config);
  const files = inputs.filter((p) => existsSync(p) && statSync(p).isFile());
  const own = typeof options.registry !== 'object';
  const registry = typeof options.registry === 'object' ? options.registry : openRegistry(...(typeof options.registry === 'string' ? [options.registry] : []));
  try {
    const inputHash = options.inputHash ?? (await hashInputs(files));
    const id = registry.recordRun({ kind, config, inputHash, artifacts, status: 'running' });
    try {
      // Every Hub model the work resolves (id, revision, exact commit) goes into the recorded config.
      const result = await collectHubModels(() => work(id), (hubModels) => registry.updateRun(id, { config: { ...config, hubModels } }));
      registry.updateRun(id, {
        status: options.statusOf?.(result) ?? 'succeeded',
        metrics: metricsOf(result),
        ...(options.artifactsOf ? { artifacts: options.artifactsOf(result) } : {}),
      });
      return result;
    } catch (e) {
      registry.updateRun(id, { status: 'failed', metrics: { error: e instanceof Error ? e.message : String(e) } });
      throw e;
    }
  } finally {
    if (own) registry.close();
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
