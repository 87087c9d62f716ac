// Response cache in SQLite for any LanguageModel: a repeated run costs no model calls. Keys are
// sha256 of (model id = "<backend>:<model>", method, prompt, parameters). Sampled generation
// (temperature > 0 without a seed) is never cached.

import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { tuneshotHome } from '../util/paths.js';
import type { ContinuationScore, GenerateOptions, Generation, LanguageModel } from './language-model.js';

export function defaultCachePath(): string {
  return join(tuneshotHome(), 'cache.sqlite');
}

export function cacheKey(modelId: string, method: string, prompt: string, params: unknown): string {
  return createHash('sha256').update(JSON.stringify([modelId, method, prompt, params ?? null])).digest('hex');
}

export interface CacheStats {
  hits: number;
  misses: number;
}

export interface CacheOptions {
  /** Skip the cache entirely (neither read nor write): the `--no-cache` switch. */
  bypass?: boolean;
}

export class ResponseCache {
  private readonly db: Database.Database;
  private readonly getStmt: Database.Statement<[string], { value: string }>;
  private readonly putStmt: Database.Statement<[string, string, number]>;
  constructor(readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec('CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, value TEXT NOT NULL, created INTEGER NOT NULL)');
    this.getStmt = this.db.prepare('SELECT value FROM responses WHERE key = ?');
    this.putStmt = this.db.prepare('INSERT OR REPLACE INTO responses (key, value, created) VALUES (?, ?, ?)');
  }
  get<T>(key: string): T | undefined {
    const row = this.getStmt.get(key);
    return row ? (JSON.parse(row.value, reviver) as T) : undefined;
  }
  put(key: string, value: unknown): void {
    this.putStmt.run(key, JSON.stringify(value, replacer), Date.now());
  }
  size(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM responses').get() as { n: number }).n;
  }
  close(): void {
    if (this.db.open) this.db.close();
  }
}

// JSON has no -Infinity/NaN (a log-probability of 0-probability tokens is -Infinity).
function replacer(_k: string, v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return { $num: String(v) };
  if (v instanceof Float32Array) return { $f32: Array.from(v) };
  return v;
}
function reviver(_k: string, v: unknown): unknown {
  if (v && typeof v === 'object') {
    if ('$num' in v) return Number((v as { $num: string }).$num);
    if ('$f32' in v) return Float32Array.from((v as { $f32: number[] }).$f32);
  }
  return v;
}

export class CachedLanguageModel implements LanguageModel {
  readonly id: string;
  readonly contextLength: number;
  readonly chatTemplate?: string;
  readonly stats: CacheStats = { hits: 0, misses: 0 };
  embed?: (texts: string[]) => Promise<Float32Array[]>;
  detokenize?: (tokens: number[]) => Promise<string>;
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(
    readonly inner: LanguageModel,
    readonly cache: ResponseCache,
  ) {
    this.id = inner.id;
    this.contextLength = inner.contextLength;
    if (inner.chatTemplate !== undefined) this.chatTemplate = inner.chatTemplate;
    if (inner.embed) {
      const embed = inner.embed.bind(inner);
      this.embed = async (texts) => {
        const out = new Array<Float32Array>(texts.length);
        const missing: number[] = [];
        texts.forEach((t, i) => {
          const hit = this.cache.get<Float32Array>(cacheKey(this.id, 'embed', t, null));
          if (hit) {
            out[i] = hit;
            this.stats.hits++;
          } else missing.push(i);
        });
        if (missing.length > 0) {
          this.stats.misses += missing.length;
          const vs = await embed(missing.map((i) => texts[i]!));
          missing.forEach((i, j) => {
            out[i] = vs[j]!;
            this.cache.put(cacheKey(this.id, 'embed', texts[i]!, null), vs[j]!);
          });
        }
        return out;
      };
    }
    if (inner.detokenize) {
      const detok = inner.detokenize.bind(inner);
      this.detokenize = (tokens) => this.cached('detokenize', '', tokens, () => detok(tokens));
    }
  }

  private async cached<T>(method: string, prompt: string, params: unknown, call: () => Promise<T>): Promise<T> {
    const key = cacheKey(this.id, method, prompt, params);
    const hit = this.cache.get<T>(key);
    if (hit !== undefined) {
      this.stats.hits++;
      return hit;
    }
    const pending = this.inflight.get(key);
    if (pending) {
      this.stats.hits++;
      return pending as Promise<T>;
    }
    this.stats.misses++;
    const p = call().then((v) => {
      this.cache.put(key, v);
      return v;
    });
    this.inflight.set(key, p);
    try {
      return await p;
    } finally {
      this.inflight.delete(key);
    }
  }

  tokenize(text: string): Promise<number[]> {
    return this.cached('tokenize', text, null, () => this.inner.tokenize(text));
  }

  scoreContinuations(prompt: string, continuations: string[]): Promise<ContinuationScore[]> {
    return this.cached('scoreContinuations', prompt, continuations, () => this.inner.scoreContinuations(prompt, continuations));
  }

  generate(prompt: string, options: GenerateOptions): Promise<Generation> {
    const deterministic = (options.temperature ?? 0) === 0 || options.seed !== undefined;
    if (!deterministic) return this.inner.generate(prompt, options);
    const params = {
      maxTokens: options.maxTokens,
      stop: options.stop ?? [],
      temperature: options.temperature ?? 0,
      topP: options.topP ?? null,
      seed: options.seed ?? null,
    };
    return this.cached('generate', prompt, params, () => this.inner.generate(prompt, options));
  }

  /** Closes the cache database and disposes the wrapped model. */
  async dispose(): Promise<void> {
    this.cache.close();
    await this.inner.dispose?.();
  }
}

/**
 * Wrap a LanguageModel with the SQLite response cache at dbPath (default
 * $TUNESHOT_HOME/cache.sqlite). With `bypass`, the model is returned as is.
 */
export function withCache(lm: LanguageModel, dbPath: string = defaultCachePath(), options: CacheOptions = {}): LanguageModel {
  if (options.bypass) return lm;
  return new CachedLanguageModel(lm, new ResponseCache(dbPath));
}
