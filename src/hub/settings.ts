// Where the Hub is, who we are, and where its files go: read from the environment exactly as
// Python's huggingface_hub reads it, so a model downloaded by either is found by both.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

export interface HubOptions {
  /** Hub base URL (default $HF_ENDPOINT, else https://huggingface.co). */
  endpoint?: string;
  /** Access token (default $HF_TOKEN, else the file `huggingface-cli login` writes); false = none. */
  token?: string | false;
  /** Use only the cache, never the network (default $HF_HUB_OFFLINE). */
  offline?: boolean;
  /** Cache folder (default $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub). */
  cacheDir?: string;
  /** No download progress on stderr. */
  quiet?: boolean;
}

export interface HubSettings {
  endpoint: string;
  token?: string;
  offline: boolean;
  cacheDir: string;
  quiet: boolean;
}

const expandUser = (p: string) => (p === '~' || p.startsWith('~/') ? path.join(homedir(), p.slice(1)) : p);

/** huggingface_hub's constants.HF_HOME: $HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface. */
export function hfHome(env = process.env): string {
  return expandUser(env['HF_HOME'] || path.join(env['XDG_CACHE_HOME'] || path.join(homedir(), '.cache'), 'huggingface'));
}

/** huggingface_hub's constants.HF_HUB_CACHE: $HF_HUB_CACHE, else the legacy $HUGGINGFACE_HUB_CACHE, else HF_HOME/hub. */
export function hubCacheDir(env = process.env): string {
  return expandUser(env['HF_HUB_CACHE'] || env['HUGGINGFACE_HUB_CACHE'] || path.join(hfHome(env), 'hub'));
}

/** Python's _is_true: "1", "ON", "YES", "TRUE" in any case. */
export const isTrue = (v: string | undefined) => !!v && ['1', 'ON', 'YES', 'TRUE'].includes(v.toUpperCase());

/** The token as huggingface_hub finds it: $HF_TOKEN, else the file at $HF_TOKEN_PATH or HF_HOME/token. */
export function envToken(env = process.env): string | undefined {
  const t = env['HF_TOKEN']?.trim();
  if (t) return t;
  const file = expandUser(env['HF_TOKEN_PATH'] || path.join(hfHome(env), 'token'));
  if (!existsSync(file)) return undefined;
  return readFileSync(file, 'utf8').trim() || undefined;
}

export function hubSettings(o: HubOptions = {}, env = process.env): HubSettings {
  const endpoint = (o.endpoint ?? (env['HF_ENDPOINT'] || DEFAULT_ENDPOINT)).replace(/\/+$/, '');
  try {
    const u = new URL(endpoint);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error();
  } catch {
    throw new Error(`HF_ENDPOINT: "${endpoint}" is not an http(s) URL`);
  }
  const token = o.token === false ? undefined : o.token ?? envToken(env);
  return {
    endpoint,
    ...(token ? { token } : {}),
    offline: o.offline ?? (isTrue(env['HF_HUB_OFFLINE']) || isTrue(env['TRANSFORMERS_OFFLINE'])),
    cacheDir: path.resolve(expandUser(o.cacheDir ?? hubCacheDir(env))),
    quiet: !!o.quiet,
  };
}
