// The allowed range of every numeric option, in one table that the CLI's argument parsers and the
// library's option checks (src/options/validate.ts) both read, so `--batch-size 0` and
// `finetune({ batchSize: 0 })` are refused with the same range. Keys are the library's option names.

export interface Range {
  integer?: boolean;
  min?: number;
  max?: number;
  /** The bounds themselves are outside the range. */
  minExclusive?: boolean;
  maxExclusive?: boolean;
}

/** An option outside its range or set: names the option and what it accepts, in one line. */
export class OptionError extends Error {
  constructor(readonly option: string, message: string) {
    super(message);
    this.name = 'OptionError';
  }
}

const int = (min: number, max?: number): Range => ({ integer: true, min, ...(max !== undefined ? { max } : {}) });

export const RANGES = {
  // Fine-tuning.
  batchSize: int(1, 65_536),
  epochs: int(1, 100_000),
  maxSteps: int(1),
  /** Learning rates above 1 only diverge (1e30 "trained" to a loss of 1.7e31). */
  lr: { min: 0, minExclusive: true, max: 1 },
  loraR: int(1, 4096),
  loraAlpha: { min: 0, minExclusive: true, max: 1e6 },
  loraDropout: { min: 0, max: 1, maxExclusive: true },
  maxLength: int(2),
  patience: int(0),
  checkpointEvery: int(1),
  seed: int(0, 4_294_967_295),
  warmupRatio: { min: 0, max: 1 },
  weightDecay: { min: 0, max: 1 },
  clipNorm: { min: 0, minExclusive: true, max: 1e9 },
  /** GB: the peak memory a fine-tuning run may take (finetune --max-memory). */
  maxMemory: { min: 0, minExclusive: true, max: 1e6 },
  // Pre-training.
  steps: int(1),
  vocabSize: int(32, 1_000_000),
  seqLen: int(4, 1_000_000),
  accumulate: int(1, 65_536),
  warmup: int(0),
  maskProb: { min: 0, minExclusive: true, max: 1, maxExclusive: true },
  heldOutEvery: int(2),
  /** icl-episodes: the share of each batch that is plain causal-LM text. */
  clmMix: { min: 0, max: 1 },
  // In-context learning and compare.
  k: int(0, 1000),
  concurrency: int(1, 1024),
  seeds: int(1, 1000),
  budget: int(0),
  testLimit: int(1),
  latencySample: int(0),
  price: { min: 0, max: 1e6 },
  distillSize: int(1, 10_000_000),
  holdout: int(0),
  minConfidence: { min: 0, max: 1 },
  maxImbalance: { min: 0, max: 1e6 },
  // Generation and serving.
  maxTokens: int(1),
  port: int(0, 65_535),
  maxBatch: int(1, 65_536),
  batchWaitMs: int(0, 60_000),
  queueLimit: int(1),
  timeoutMs: int(1, 86_400_000),
  maxInputs: int(1),
  bodyLimit: int(1, 2 ** 31 - 1),
  retryAfterSeconds: int(0, 86_400),
  // Advice.
  labelledExamples: int(0),
  latencyBudgetMs: { min: 0, minExclusive: true, max: 1e9 },
  queriesPerDay: { min: 0, max: 1e15 },
  taskChangesPerMonth: { min: 0, max: 1e6 },
  // Remote fine-tuning (finetune --remote, tuneshot jobs, compare --ft-remote).
  lrMultiplier: { min: 0, minExclusive: true, max: 10 },
  /** n_epochs and batch_size as OpenAI's jobs API accepts them. */
  remoteEpochs: int(1, 50),
  remoteBatchSize: int(1, 256),
  /** Seconds between status polls of a job. */
  pollInterval: { min: 0, minExclusive: true, max: 3600 },
  /** USD per million trained tokens (compare --train-price). */
  trainPrice: { min: 0, max: 1e6 },
  maxRetries: int(0, 20),
  jobsLimit: int(1, 100),
  events: int(0, 100),
  // Run registry.
  limit: int(1),
  runId: int(1),
} satisfies Record<string, Range>;

export type RangeName = keyof typeof RANGES;

const fmt = (x: number) => (Math.abs(x) >= 1e7 && Number.isInteger(Math.log10(Math.abs(x))) ? x.toExponential().replace('e+', 'e') : String(x));

/** "an integer from 1 to 65536", "a number > 0 and <= 1", "a number >= 0 and < 1". */
export function describeRange(r: Range): string {
  const lo = r.min === undefined ? undefined : `${r.minExclusive ? '>' : '>='} ${fmt(r.min)}`;
  const hi = r.max === undefined ? undefined : `${r.maxExclusive ? '<' : '<='} ${fmt(r.max)}`;
  if (r.integer && r.min !== undefined && r.max !== undefined && !r.minExclusive && !r.maxExclusive) return `an integer from ${fmt(r.min)} to ${fmt(r.max)}`;
  return `${r.integer ? 'an integer' : 'a number'}${[lo, hi].filter(Boolean).map((s, i) => (i ? ` and ${s}` : ` ${s}`)).join('')}`;
}

export function inRange(v: number, r: Range): boolean {
  if (typeof v !== 'number' || !Number.isFinite(v)) return false;
  if (r.integer && !Number.isInteger(v)) return false;
  if (r.min !== undefined && (r.minExclusive ? v <= r.min : v < r.min)) return false;
  if (r.max !== undefined && (r.maxExclusive ? v >= r.max : v > r.max)) return false;
  return true;
}

/** Throws an OptionError naming `option` when `value` is set and outside `range`. */
export function checkRange(option: string, value: unknown, range: Range): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !inRange(value, range)) {
    throw new OptionError(option, `${option} must be ${describeRange(range)}, got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  }
}

/** Throws an OptionError naming `option` when `value` is set and not one of `allowed`. */
export function checkOneOf(option: string, value: unknown, allowed: readonly string[]): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw new OptionError(option, `${option} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
}
