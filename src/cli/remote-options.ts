// Options that say how to reach a remote fine-tuning provider, shared by `finetune --remote`,
// `tuneshot jobs` and `compare --ft-remote`.
import type { Command } from 'commander';
import { RANGES, inRange } from '../options/ranges.js';
import type { ConnectOptions } from '../index.js';
import { num } from './args.js';

/**
 * Adds --base-url, --api-key, --max-retries and (unless `azure` is false: compare cannot score an
 * Azure model, which needs a deployment first) --azure-endpoint and --api-version.
 */
export function addConnectionOptions(cmd: Command, o: { azure?: boolean; prefix?: string } = {}): Command {
  const p = o.prefix ?? '';
  cmd
    .option('--base-url <url>', `${p}openai: server URL including /v1 (default $OPENAI_BASE_URL, then https://api.openai.com/v1)`)
    .option('--api-key <key>', `${p}API key (default $OPENAI_API_KEY${o.azure === false ? '' : '; azure: $AZURE_OPENAI_API_KEY'})`);
  if (o.azure !== false) {
    cmd
      .option('--azure-endpoint <url>', `${p}azure: https://<resource>.openai.azure.com (default $AZURE_OPENAI_ENDPOINT)`)
      .option('--api-version <version>', `${p}azure: api-version, e.g. 2024-10-21 (default $OPENAI_API_VERSION)`);
  }
  return cmd.option('--max-retries <n>', `${p}retries of a request on 429 (honouring Retry-After), 5xx and connection errors`, num('maxRetries'), 4);
}

export function connectionFrom(o: Record<string, unknown>): ConnectOptions {
  const retries = o['maxRetries'] as number | undefined;
  if (retries !== undefined && (retries < 0 || retries > 20)) throw new Error(`--max-retries must be from 0 to 20, got ${retries}`);
  const url = (name: string, v: unknown) => {
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !/^https?:\/\/[^\s]+$/.test(v)) throw new Error(`${name} must be an http(s) URL, got "${String(v)}"`);
    return v;
  };
  const baseURL = url('--base-url', o['baseUrl']), azureEndpoint = url('--azure-endpoint', o['azureEndpoint']);
  return {
    ...(baseURL !== undefined ? { baseURL } : {}),
    ...(typeof o['apiKey'] === 'string' ? { apiKey: o['apiKey'] } : {}),
    ...(azureEndpoint !== undefined ? { azureEndpoint } : {}),
    ...(typeof o['apiVersion'] === 'string' ? { apiVersion: o['apiVersion'] } : {}),
    ...(retries !== undefined ? { maxRetries: retries } : {}),
  };
}

/** Seconds between polls, checked against RANGES.pollInterval. */
export function pollIntervalMs(v: unknown): number {
  const s = typeof v === 'string' && v.trim() === '' ? NaN : Number(v);
  const r = RANGES.pollInterval;
  if (!inRange(s, r)) throw new Error(`--poll-interval must be seconds in (${r.min}, ${r.max}], got "${String(v)}"`);
  return s * 1000;
}

/**
 * Runs `work` with Ctrl-C turned into an abort signal (a second Ctrl-C kills as usual). A
 * DetachedError message goes to stderr with exit code 130; the remote job keeps running.
 */
export async function withDetach(work: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const ac = new AbortController();
  const onInt = () => ac.abort();
  process.once('SIGINT', onInt);
  try {
    await work(ac.signal);
  } catch (e) {
    if (e instanceof Error && e.name === 'DetachedError') {
      process.stderr.write(`\n${e.message}\n`);
      process.exitCode = 130;
      return;
    }
    throw e;
  } finally {
    process.off('SIGINT', onInt);
  }
}
