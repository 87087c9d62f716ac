// The one small interface every remote fine-tuning provider implements (OpenAI and Azure OpenAI
// today, each one file beside this one): upload a training file, create, follow, list and cancel
// jobs. Everything else (chat JSONL, file and job reuse, the registry, the model card) is
// provider-independent and lives in finetune.ts.

/** Hyperparameters passed through to the provider as given ("auto" or absent = the provider's choice). */
export interface RemoteHyperparameters {
  n_epochs?: number | 'auto';
  batch_size?: number | 'auto';
  learning_rate_multiplier?: number | 'auto';
}

export type RemoteJobStatus = 'validating_files' | 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | (string & {});

/** OpenAI (and Azure OpenAI) refuse training files with fewer examples. */
export const OPENAI_MIN_EXAMPLES = 10;

/** Statuses after which a job never changes again. */
export const TERMINAL_STATUSES: readonly string[] = ['succeeded', 'failed', 'cancelled'];

export interface RemoteJob {
  id: string;
  status: RemoteJobStatus;
  /** The base model the job fine-tunes. */
  model: string;
  /** Set once the job succeeded. */
  fineTunedModel: string | null;
  /** Set by the provider once the job succeeded. */
  trainedTokens: number | null;
  /** The provider's error of a failed job. */
  error: { code: string; message: string; param?: string | null } | null;
  trainingFile: string;
  validationFile: string | null;
  /** Unix seconds. */
  createdAt: number;
  finishedAt: number | null;
  estimatedFinish: number | null;
  /** As the provider resolved them (numbers where it chose for "auto"). */
  hyperparameters: RemoteHyperparameters;
}

export interface RemoteJobEvent {
  id: string;
  /** Unix seconds. */
  createdAt: number;
  level: string;
  message: string;
}

export interface RemoteFile {
  id: string;
  bytes: number;
}

export interface CreateJobParams {
  model: string;
  trainingFile: string;
  validationFile?: string;
  hyperparameters: RemoteHyperparameters;
  suffix?: string;
  seed?: number;
}

export interface RequestControl {
  /** Aborts the request in flight (Ctrl-C while following). */
  signal?: AbortSignal;
}

export interface RemoteFinetuner {
  /** "openai", "azure", ... */
  readonly provider: string;
  /** Where files and jobs live (files and job ids are only valid there); the registry keys on it. */
  readonly endpoint: string;
  /** Settings needed to reach the same endpoint again (e.g. Azure's api-version), never credentials. */
  readonly settings: Record<string, string>;
  /** Fewest training examples the provider accepts. */
  readonly minExamples: number;
  uploadFile(name: string, content: Buffer, control?: RequestControl): Promise<RemoteFile>;
  /** Whether a file uploaded earlier still exists there (false on 404). */
  fileExists(id: string, control?: RequestControl): Promise<boolean>;
  createJob(params: CreateJobParams, control?: RequestControl): Promise<RemoteJob>;
  getJob(id: string, control?: RequestControl): Promise<RemoteJob>;
  /** Newest first. */
  listJobs(limit: number, control?: RequestControl): Promise<RemoteJob[]>;
  cancelJob(id: string, control?: RequestControl): Promise<RemoteJob>;
  /** Newest first. */
  listEvents(id: string, limit: number, control?: RequestControl): Promise<RemoteJobEvent[]>;
  /**
   * How the fine-tuned model is called for predictions: an ICL backend spec ("openai:<model>")
   * and its base URL, or a sentence saying what the user must do first (Azure: deploy it).
   */
  modelAccess(fineTunedModel: string): { backend: string; baseURL?: string } | { unavailable: string };
}
