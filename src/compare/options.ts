// The options, progress events and output of compare().
import type { Advice, Constraints } from '../advise/advise.js';
import type { Example } from '../data/dataset.js';
import type { MetricName } from '../eval/metric.js';
import type { Budget, CompareResults } from '../eval/results.js';
import type { SelectionMethod } from '../icl/prompt.js';
import type { LanguageModel } from '../icl/language-model.js';
import type { Registry } from '../registry/registry.js';
import type { RemoteFinetuner, RemoteHyperparameters } from '../remote/finetuner.js';
import type { ConnectOptions } from '../remote/providers.js';
import type { ReportPaths } from '../report/report.js';
import type { Method } from '../train/methods/index.js';

export type BaselineName = 'majority' | 'tfidf';

/** compare's remote fine-tuning arms: the provider connection and the job's parameters. */
export interface CompareRemoteOptions {
  /** baseURL (default $OPENAI_BASE_URL, then https://api.openai.com/v1), apiKey (default $OPENAI_API_KEY), maxRetries, timeoutMs. */
  connection?: ConnectOptions;
  /** Passed through to every job (absent or "auto" = the provider's choice). */
  hyperparameters?: RemoteHyperparameters;
  /** Part of every fine-tuned model's name. */
  suffix?: string;
  /** Between status polls of a running job (default 5,000). */
  pollIntervalMs?: number;
  /** A ready provider client (tests, or one shared with other work); its provider must be the spec's. */
  finetuner?: RemoteFinetuner;
}
export const ALL_BASELINES: readonly BaselineName[] = ['majority', 'tfidf'];

export interface CompareOptions {
  /** Training examples: a JSONL/CSV path or loaded examples (the pools are drawn from them). */
  train: string | Example[];
  /** Test examples every arm is scored on. */
  test: string | Example[];
  /** Optional dev set for fine-tuning (early stopping / model selection). */
  dev?: string | Example[];
  /** Closed label set; default: the sorted labels of the training set. */
  labels?: string[];
  /** ICL language models as "backend:model" specs, e.g. "builtin:tuneshot-base-lm". */
  icl?: string[];
  /** Base models to fine-tune (folders or embedded names), e.g. "tuneshot-base-encoder". */
  ft?: string[];
  /** Fine-tuning methods (default full, lora, head). */
  methods?: Method[];
  /**
   * Base models to fine-tune remotely, "<provider>:<model>" (e.g. "openai:gpt-4o-mini"): at every
   * budget and seed one job of the provider's fine-tuning jobs API on the budget's examples (a
   * finished job for the same data and hyperparameters, known to the registry, is reused), then the
   * fine-tuned model scored zero-shot through the ICL scorer (chat completions at the same endpoint).
   */
  ftRemote?: string[];
  /** How the remote arms reach the provider and what they ask for. */
  remote?: CompareRemoteOptions;
  /**
   * Unlabelled texts (JSONL/CSV path or examples; labels ignored) for the distilled arm: at each budget
   * the ICL teacher labels `distillSize` of them and the first --ft model is fine-tuned on its labels.
   */
  distill?: string | Example[];
  /** Pool texts the teacher labels a cell (default 1,000). */
  distillSize?: number;
  /** The teacher (default: the first `icl` spec); a loaded model is not disposed. */
  distillTeacher?: string | LanguageModel;
  /** Baselines run beside the learned arms (default both: majority and tfidf; [] for none). */
  baselines?: BaselineName[];
  /** Primary metric for the advice and the charts: 'accuracy', 'macro-f1' or 'f1:<label>' (default: by the test label balance). */
  metric?: MetricName | string;
  /** Examples a class; 0 = zero-shot ICL (fine-tuning and baselines skipped); 'all' = the whole training set. */
  budgets?: Budget[];
  /** Number of seeds (0..n-1) or the seeds themselves. */
  seeds?: number | number[];
  /** Output folder: results.json, report.html, summary.md, cells/. */
  out: string;
  /** Demonstrations a prompt (default 4; capped by the pool). */
  k?: number;
  calibrate?: boolean;
  select?: SelectionMethod;
  /** ICL instruction line (default "Classify the text as one of: <labels>."). */
  instruction?: string;
  /**
   * USD per 1,000 tokens, keyed by arm id ("icl:openai:gpt-4o-mini"), model/spec, backend
   * ("openai"), fine-tuning method ("full"/"lora"/"head") or kind ("icl"/"ft"/"baseline"); the most specific wins.
   * A remote fine-tuned model is priced by its arm id ("ft-remote:openai:gpt-4o-mini") or "ft-remote"
   * only: providers charge more a token for a fine-tuned model than for its base.
   */
  prices?: Record<string, number>;
  /**
   * USD per million trained tokens (the unit providers publish training prices in) for the remote
   * arms, keyed by arm id ("ft-remote:openai:gpt-4o-mini"), base spec ("openai:gpt-4o-mini"),
   * provider ("openai") or "ft-remote"; the most specific wins. Trained tokens × this = the one-off cost.
   */
  trainPrices?: Record<string, number>;
  /** Epochs per fine-tuning method (default head 10, lora 5, full 5). */
  epochs?: Partial<Record<Method, number>>;
  batchSize?: number;
  lr?: number;
  /** Max tokens a fine-tuning input (default 128). */
  maxLength?: number;
  /** Score only this many test examples (a fixed random subset, the same for every cell). */
  testLimit?: number;
  /** Queries timed one at a time (batch size 1) for the latency of fine-tuned models and baselines (default 32). */
  latencySample?: number;
  /** Constraints passed to the advice written into the report. */
  constraints?: Constraints;
  /** Registry: a Registry, a home folder, or false for none (default: $TUNESHOT_HOME). */
  registry?: Registry | string | false;
  /** Command line recorded in the results (for reproduction). */
  command?: string;
  onProgress?: (event: CompareProgressEvent) => void;
  /** Called before a cell is computed (not for reused cells); throwing aborts the run (tests simulate a crash with it). */
  beforeCell?: (cell: CellKey) => void;
  quiet?: boolean;
}

/** One cell of the comparison: an arm at a budget with a seed. */
export interface CellKey {
  arm: string;
  budget: Budget;
  seed: number;
}

export type CompareProgressEvent =
  | { type: 'cell-start'; cell: CellKey; index: number; total: number }
  | { type: 'cell-done'; cell: CellKey; index: number; total: number; reused: boolean; accuracy?: number; error?: string }
  | { type: 'query'; cell: CellKey; done: number; total: number };

export interface CompareOutput {
  results: CompareResults;
  advice: Advice;
  paths: ReportPaths;
  /** Cells computed in this run / reused from an earlier one. */
  computed: CellKey[];
  reused: CellKey[];
  runId?: number;
  /** Notes on how things were measured (also in results.environment). */
  notes: string[];
}
