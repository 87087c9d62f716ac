// The OpenAI fine-tuning jobs API (OpenAI itself and servers that copy it) through the official
// `openai` client. Transient errors (429 with Retry-After / retry-after-ms, 408, 409, 5xx,
// connection errors) are retried by the client itself with exponential backoff; tuneshot only sets
// how many times (maxRetries) and adds no second retry loop around it.
import OpenAI, { APIError, APIConnectionError, APIUserAbortError, NotFoundError, toFile } from 'openai';
import {
  OPENAI_MIN_EXAMPLES, type CreateJobParams, type RemoteFile, type RemoteFinetuner, type RemoteJob, type RemoteJobEvent, type RequestControl,
} from './finetuner.js';

export { OPENAI_MIN_EXAMPLES };

type FineTuningJob = OpenAI.FineTuning.FineTuningJob;
type FineTuningJobEvent = OpenAI.FineTuning.FineTuningJobEvent;

export interface OpenAIFinetunerOptions {
  /** Server URL including /v1; default $OPENAI_BASE_URL, then https://api.openai.com/v1. */
  baseURL?: string;
  /** Default $OPENAI_API_KEY. */
  apiKey?: string;
  /** Retries of one request on 429/5xx/connection errors, done by the official client (default 4). */
  maxRetries?: number;
  /** Per-request timeout in ms (default 120 000; uploads of large files may need more). */
  timeoutMs?: number;
}

/** The provider's own message of an API error, as one line naming the endpoint. */
export function describeApiError(err: unknown, endpoint: string): Error {
  if (err instanceof APIUserAbortError) return err;
  if (err instanceof APIConnectionError) return new Error(`cannot reach ${endpoint}: ${err.message}${err.cause instanceof Error ? ` (${err.cause.message})` : ''}`);
  if (err instanceof APIError) {
    const body = err.error as { message?: unknown } | undefined;
    const message = typeof body?.message === 'string' ? body.message : err.message;
    return new Error(`${endpoint}: HTTP ${err.status ?? '?'}: ${message.replace(/\s+/g, ' ').trim()}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

export function toRemoteJob(j: FineTuningJob): RemoteJob {
  return {
    id: j.id,
    status: j.status,
    model: j.model,
    fineTunedModel: j.fine_tuned_model ?? null,
    trainedTokens: j.trained_tokens ?? null,
    error: j.error && typeof j.error.message === 'string' && j.error.message !== ''
      ? { code: j.error.code, message: j.error.message, param: j.error.param ?? null }
      : null,
    trainingFile: j.training_file,
    validationFile: j.validation_file ?? null,
    createdAt: j.created_at,
    finishedAt: j.finished_at ?? null,
    estimatedFinish: j.estimated_finish ?? null,
    hyperparameters: { ...(j.hyperparameters ?? {}) } as RemoteJob['hyperparameters'],
  };
}

function toEvent(e: FineTuningJobEvent): RemoteJobEvent {
  return { id: e.id, createdAt: e.created_at, level: e.level, message: e.message };
}

export class OpenAIFinetuner implements RemoteFinetuner {
  readonly provider: string = 'openai';
  readonly endpoint: string;
  readonly settings: Record<string, string> = {};
  readonly minExamples = OPENAI_MIN_EXAMPLES;
  protected readonly client: OpenAI;

  constructor(options: OpenAIFinetunerOptions = {}, client?: OpenAI) {
    if (client) {
      this.client = client;
    } else {
      const apiKey = options.apiKey ?? process.env.OPENAI_API_KEY;
      if (!apiKey) throw new Error('no API key: set OPENAI_API_KEY or give --api-key');
      this.client = new OpenAI({
        apiKey,
        baseURL: options.baseURL ?? process.env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1',
        maxRetries: options.maxRetries ?? 4,
        timeout: options.timeoutMs ?? 120_000,
      });
    }
    this.endpoint = this.client.baseURL.replace(/\/+$/, '');
  }

  /** Runs one client call, turning its errors into one-line messages with the provider's text. */
  protected async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw describeApiError(err, this.endpoint);
    }
  }

  async uploadFile(name: string, content: Buffer, control: RequestControl = {}): Promise<RemoteFile> {
    const file = await toFile(content, name, { type: 'application/jsonl' });
    const f = await this.call(() => this.client.files.create({ file, purpose: 'fine-tune' }, control));
    return { id: f.id, bytes: f.bytes };
  }

  async fileExists(id: string, control: RequestControl = {}): Promise<boolean> {
    try {
      await this.client.files.retrieve(id, control);
      return true;
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw describeApiError(err, this.endpoint);
    }
  }

  async createJob(p: CreateJobParams, control: RequestControl = {}): Promise<RemoteJob> {
    // Top-level `hyperparameters` (rather than method.supervised) is what every server copying the
    // API, and Azure's GA api-versions, understand; OpenAI still accepts it.
    const body: OpenAI.FineTuning.JobCreateParams = {
      model: p.model,
      training_file: p.trainingFile,
      ...(p.validationFile ? { validation_file: p.validationFile } : {}),
      ...(Object.keys(p.hyperparameters).length ? { hyperparameters: p.hyperparameters } : {}),
      ...(p.suffix !== undefined ? { suffix: p.suffix } : {}),
      ...(p.seed !== undefined ? { seed: p.seed } : {}),
    };
    return toRemoteJob(await this.call(() => this.client.fineTuning.jobs.create(body, control)));
  }

  async getJob(id: string, control: RequestControl = {}): Promise<RemoteJob> {
    return toRemoteJob(await this.call(() => this.client.fineTuning.jobs.retrieve(id, control)));
  }

  async listJobs(limit: number, control: RequestControl = {}): Promise<RemoteJob[]> {
    const page = await this.call(() => this.client.fineTuning.jobs.list({ limit }, control));
    return page.data.map(toRemoteJob);
  }

  async cancelJob(id: string, control: RequestControl = {}): Promise<RemoteJob> {
    return toRemoteJob(await this.call(() => this.client.fineTuning.jobs.cancel(id, control)));
  }

  async listEvents(id: string, limit: number, control: RequestControl = {}): Promise<RemoteJobEvent[]> {
    const page = await this.call(() => this.client.fineTuning.jobs.listEvents(id, { limit }, control));
    return page.data.map(toEvent);
  }

  modelAccess(fineTunedModel: string): { backend: string; baseURL?: string } | { unavailable: string } {
    return { backend: `openai:${fineTunedModel}`, baseURL: this.endpoint };
  }
}
