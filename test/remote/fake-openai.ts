// A local stand-in for the OpenAI fine-tuning jobs API (and Azure OpenAI's variant of it), close
// enough for the official `openai` client: multipart file upload and retrieve, jobs create /
// retrieve / list / cancel / events, and chat completions that answer as the fine-tuned model.
// It listens on 127.0.0.1 only. A job advances one status each time it is retrieved
// (validating_files → queued → running → running (step 1) → running (step 2) → succeeded), so a
// test follows a whole job in a few fast polls; `hold` parks running jobs (Ctrl-C, cancel), a
// queued failure or a training file under 10 examples fails the job with an error object, and
// `faults` answer chosen requests with 429 (Retry-After) or 5xx.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Message { role: string; content: string }
interface TrainingLine { messages: Message[] }

interface FakeFile { id: string; bytes: number; filename: string; purpose: string; created_at: number; content: Buffer }

interface FakeEvent { id: string; created_at: number; level: 'info' | 'warn' | 'error'; message: string; type: 'message' | 'metrics'; data?: unknown }

interface FakeJob {
  id: string;
  model: string;
  status: string;
  training_file: string;
  validation_file: string | null;
  hyperparameters: Record<string, number | 'auto'>;
  suffix: string | null;
  seed: number;
  created_at: number;
  finished_at: number | null;
  fine_tuned_model: string | null;
  trained_tokens: number | null;
  error: { code: string; message: string; param: string | null } | null;
  events: FakeEvent[];
  step: number;
  polls: number;
  lines: TrainingLine[];
  failWith: { code: string; message: string } | null;
}

export interface Fault {
  method: string;
  path: RegExp;
  status: number;
  headers?: Record<string, string>;
  /** How many matching requests get the fault (default 1). */
  times?: number;
}

export interface ChatRecord {
  model: string;
  messages: Message[];
  /** The system and user messages equal a training example's exactly. */
  exact: boolean;
  /** The system message equals the one the model was trained with. */
  sameSystem: boolean;
  answer: string;
}

const STEPS = 2;
const now = () => Math.floor(Date.now() / 1000);
const words = (s: string) => new Set(s.toLowerCase().match(/[a-z0-9']+/g) ?? []);

export class FakeOpenAI {
  readonly apiKey = 'sk-test-key';
  readonly azureKey = 'azure-test-key';
  readonly files = new Map<string, FakeFile>();
  readonly jobs = new Map<string, FakeJob>();
  readonly requests: { method: string; path: string; status: number; at: number; apiVersion?: string; auth?: string }[] = [];
  readonly chats: ChatRecord[] = [];
  faults: Fault[] = [];
  /** Running jobs stay running while set. */
  hold = false;
  /** The next created job fails in validation with this error. */
  nextFailure: { code: string; message: string } | undefined;
  private server: Server | undefined;
  private n = 0;
  url = '';

  get baseURL(): string {
    return `${this.url}/v1`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => this.send(res, req, 500, { error: { message: String(err), type: 'server_error' } }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  count(method: string, path: RegExp): number {
    return this.requests.filter((r) => r.method === method && path.test(r.path) && r.status < 400).length;
  }

  private id(prefix: string): string {
    return `${prefix}-${(++this.n).toString(36).padStart(6, '0')}`;
  }

  private send(res: ServerResponse, req: IncomingMessage, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const u = new URL(req.url ?? '/', 'http://x');
    this.requests.push({
      method: req.method ?? '', path: u.pathname, status, at: Date.now(),
      ...(u.searchParams.get('api-version') ? { apiVersion: u.searchParams.get('api-version')! } : {}),
      ...(req.headers['api-key'] ? { auth: 'api-key' } : req.headers.authorization ? { auth: 'bearer' } : {}),
    });
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  private error(res: ServerResponse, req: IncomingMessage, status: number, message: string, code: string | null = null, param: string | null = null): void {
    this.send(res, req, status, { error: { message, type: 'invalid_request_error', param, code } });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const u = new URL(req.url ?? '/', 'http://x');
    let p = u.pathname;
    // Azure: <endpoint>/openai/..., api-version on every request, the key in an api-key header.
    if (p.startsWith('/openai/')) {
      if (!u.searchParams.get('api-version')) return this.error(res, req, 404, 'Resource not found (missing api-version)');
      if (req.headers['api-key'] !== this.azureKey) return this.error(res, req, 401, 'Access denied due to invalid subscription key.', '401');
      p = `/v1/${p.slice('/openai/'.length)}`;
    } else if (req.headers.authorization !== `Bearer ${this.apiKey}`) {
      return this.error(res, req, 401, 'Incorrect API key provided.', 'invalid_api_key');
    }
    const fault = this.faults.find((f) => f.method === req.method && f.path.test(p) && (f.times ?? 1) > 0);
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      return this.send(res, req, fault.status, { error: { message: `injected ${fault.status}`, type: fault.status === 429 ? 'rate_limit_exceeded' : 'server_error' } }, fault.headers);
    }
    const m = req.method;
    let g: RegExpMatchArray | null;
    if (m === 'POST' && p === '/v1/files') return this.upload(req, res, body);
    if (m === 'GET' && (g = p.match(/^\/v1\/files\/([^/]+)$/))) {
      const f = this.files.get(g[1]!);
      if (!f) return this.error(res, req, 404, `No such File object: ${g[1]}`, null, 'id');
      return this.send(res, req, 200, this.fileObject(f));
    }
    if (m === 'POST' && p === '/v1/fine_tuning/jobs') return this.createJob(req, res, JSON.parse(body.toString('utf8')) as Record<string, unknown>);
    if (m === 'GET' && p === '/v1/fine_tuning/jobs') {
      const all = [...this.jobs.values()].reverse();
      return this.send(res, req, 200, this.page(all.map((j) => this.jobObject(j)), u));
    }
    if ((g = p.match(/^\/v1\/fine_tuning\/jobs\/([^/]+)(\/events|\/cancel)?$/))) {
      const job = this.jobs.get(g[1]!);
      if (!job) return this.error(res, req, 404, `Could not find fine tune job: ${g[1]}`, 'fine_tune_not_found', 'fine_tune_id');
      if (m === 'GET' && !g[2]) {
        if (++job.polls > 1) this.advance(job); // the first retrieve still sees the status the job was created with
        return this.send(res, req, 200, this.jobObject(job));
      }
      if (m === 'GET' && g[2] === '/events') return this.send(res, req, 200, this.page([...job.events].reverse(), u));
      if (m === 'POST' && g[2] === '/cancel') {
        if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return this.error(res, req, 400, `Job ${job.id} has already completed and cannot be cancelled.`);
        job.status = 'cancelled';
        job.finished_at = now();
        this.event(job, 'info', 'Fine-tuning job cancelled');
        return this.send(res, req, 200, this.jobObject(job));
      }
    }
    if (m === 'POST' && p === '/v1/chat/completions') return this.chat(req, res, JSON.parse(body.toString('utf8')) as { model: string; messages: Message[] });
    if (m === 'POST' && p === '/v1/completions') {
      const model = (JSON.parse(body.toString('utf8')) as { model: string }).model;
      if (this.modelJob(model)) return this.error(res, req, 404, 'This is a chat model and not supported in the v1/completions endpoint. Did you mean to use v1/chat/completions?', null, 'model');
      return this.error(res, req, 404, `The model \`${model}\` does not exist or you do not have access to it.`, 'model_not_found');
    }
    return this.error(res, req, 404, `Invalid URL (${m} ${p})`);
  }

  private async upload(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const type = req.headers['content-type'] ?? '';
    if (!type.startsWith('multipart/form-data')) return this.error(res, req, 400, 'expected multipart/form-data');
    const form = await new Response(body, { headers: { 'content-type': type } }).formData();
    const file = form.get('file');
    const purpose = form.get('purpose');
    if (!(file instanceof Blob)) return this.error(res, req, 400, "'file' is a required property", null, 'file');
    if (purpose !== 'fine-tune') return this.error(res, req, 400, `'${String(purpose)}' is not one of ['fine-tune', 'assistants', 'batch', ...] - 'purpose'`, null, 'purpose');
    const content = Buffer.from(await file.arrayBuffer());
    const f: FakeFile = { id: this.id('file'), bytes: content.length, filename: (file as File).name ?? 'upload', purpose, created_at: now(), content };
    this.files.set(f.id, f);
    this.send(res, req, 200, this.fileObject(f));
  }

  private fileObject(f: FakeFile) {
    return { id: f.id, object: 'file', bytes: f.bytes, created_at: f.created_at, filename: f.filename, purpose: f.purpose, status: 'processed' };
  }

  private createJob(req: IncomingMessage, res: ServerResponse, b: Record<string, unknown>): void {
    const training = this.files.get(String(b['training_file']));
    if (!training) return this.error(res, req, 400, `invalid training_file: ${String(b['training_file'])}`, null, 'training_file');
    if (typeof b['model'] !== 'string' || b['model'] === '') return this.error(res, req, 400, "'model' is a required property", null, 'model');
    if (b['validation_file'] !== undefined && !this.files.has(String(b['validation_file']))) return this.error(res, req, 400, `invalid validation_file: ${String(b['validation_file'])}`, null, 'validation_file');
    const hp = (b['hyperparameters'] ?? {}) as Record<string, number | 'auto'>;
    const lines = training.content.toString('utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as TrainingLine);
    const job: FakeJob = {
      id: this.id('ftjob'), model: b['model'], status: 'validating_files', training_file: training.id,
      validation_file: (b['validation_file'] as string | undefined) ?? null,
      hyperparameters: { n_epochs: hp['n_epochs'] ?? 'auto', batch_size: hp['batch_size'] ?? 'auto', learning_rate_multiplier: hp['learning_rate_multiplier'] ?? 'auto' },
      suffix: (b['suffix'] as string | undefined) ?? null, seed: (b['seed'] as number | undefined) ?? 42, created_at: now(), finished_at: null,
      fine_tuned_model: null, trained_tokens: null, error: null, events: [], step: 0, polls: 0, lines,
      failWith: this.nextFailure ?? (lines.length < 10
        ? { code: 'invalid_training_file', message: `The job failed due to an invalid training file. Training file has ${lines.length} example(s), but must have at least 10 examples` }
        : null),
    };
    this.nextFailure = undefined;
    this.jobs.set(job.id, job);
    this.event(job, 'info', `Validating training file: ${training.id}`);
    this.send(res, req, 200, this.jobObject(job));
  }

  private event(job: FakeJob, level: FakeEvent['level'], message: string, data?: unknown): void {
    job.events.push({ id: this.id('ftevent'), created_at: now(), level, message, type: data ? 'metrics' : 'message', ...(data ? { data } : {}) });
  }

  /** One status step a retrieve. */
  private advance(job: FakeJob): void {
    if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return;
    if (job.status === 'running' && this.hold) return;
    job.step++;
    if (job.step === 1) {
      if (job.failWith) {
        job.status = 'failed';
        job.error = { ...job.failWith, param: 'training_file' };
        job.finished_at = now();
        this.event(job, 'error', job.failWith.message);
        return;
      }
      job.status = 'queued';
      this.event(job, 'info', 'Files validated, moving job to queued state');
    } else if (job.step === 2) {
      job.status = 'running';
      for (const k of ['n_epochs', 'batch_size', 'learning_rate_multiplier'] as const) {
        if (job.hyperparameters[k] === 'auto') job.hyperparameters[k] = k === 'n_epochs' ? 3 : k === 'batch_size' ? 1 : 1.8;
      }
      this.event(job, 'info', 'Fine-tuning job started');
    } else if (job.step < 3 + STEPS) {
      const s = job.step - 2;
      this.event(job, 'info', `Step ${s}/${STEPS}: training loss=${(0.8 / s).toFixed(2)}`, { step: s, train_loss: 0.8 / s });
    } else {
      job.status = 'succeeded';
      job.finished_at = now();
      job.fine_tuned_model = `ft:${job.model}:tuneshot-test:${job.suffix ?? ''}:${job.id.slice(-6)}`;
      job.trained_tokens = this.trainedTokens(job);
      this.event(job, 'info', `New fine-tuned model created: ${job.fine_tuned_model}`);
      this.event(job, 'info', 'The job has successfully completed');
    }
  }

  /** About 4 characters a token, times the epochs. */
  trainedTokens(job: FakeJob): number {
    const perEpoch = job.lines.reduce((a, l) => a + Math.ceil(l.messages.reduce((b, m) => b + m.content.length, 0) / 4), 0);
    return perEpoch * Number(job.hyperparameters['n_epochs'] === 'auto' ? 3 : job.hyperparameters['n_epochs']);
  }

  private jobObject(j: FakeJob) {
    return {
      object: 'fine_tuning.job', id: j.id, model: j.model, created_at: j.created_at, finished_at: j.finished_at,
      fine_tuned_model: j.fine_tuned_model, organization_id: 'org-tuneshot-test', result_files: [], status: j.status,
      validation_file: j.validation_file, training_file: j.training_file, hyperparameters: j.hyperparameters,
      trained_tokens: j.trained_tokens, error: j.error ?? {}, user_provided_suffix: j.suffix, seed: j.seed,
      estimated_finish: null, integrations: [], metadata: null,
      method: { type: 'supervised', supervised: { hyperparameters: j.hyperparameters } },
    };
  }

  private page<T extends { id: string }>(items: T[], u: URL) {
    const limit = Math.min(100, Number(u.searchParams.get('limit') ?? 20));
    const after = u.searchParams.get('after');
    const start = after ? items.findIndex((i) => i.id === after) + 1 : 0;
    const data = items.slice(start, start + limit);
    return { object: 'list', data, has_more: start + limit < items.length };
  }

  private modelJob(model: string): FakeJob | undefined {
    return [...this.jobs.values()].find((j) => j.fine_tuned_model === model && j.status === 'succeeded');
  }

  /** Answers as the fine-tuned model: the label of the identical training prompt, else of the most similar one. */
  private chat(req: IncomingMessage, res: ServerResponse, b: { model: string; messages: Message[] }): void {
    const job = this.modelJob(b.model);
    if (!job) return this.error(res, req, 404, `The model \`${b.model}\` does not exist or you do not have access to it.`, 'model_not_found');
    const system = b.messages.find((m) => m.role === 'system')?.content ?? '';
    const user = b.messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
    const key = (ms: Message[]) => JSON.stringify(ms.filter((m) => m.role !== 'assistant').map((m) => [m.role, m.content]));
    const exact = job.lines.find((l) => key(l.messages) === key(b.messages));
    let best = job.lines[0]!;
    if (!exact) {
      const q = words(user);
      let bestScore = -1;
      for (const l of job.lines) {
        const w = words(l.messages.find((m) => m.role === 'user')!.content);
        let inter = 0;
        for (const t of q) if (w.has(t)) inter++;
        const score = inter / (q.size + w.size - inter || 1);
        if (score > bestScore) { bestScore = score; best = l; }
      }
    }
    const answer = (exact ?? best).messages.find((m) => m.role === 'assistant')!.content;
    const trainedSystem = job.lines[0]!.messages.find((m) => m.role === 'system')?.content ?? '';
    this.chats.push({ model: b.model, messages: b.messages, exact: !!exact, sameSystem: system === trainedSystem, answer });
    this.send(res, req, 200, {
      id: this.id('chatcmpl'), object: 'chat.completion', created: now(), model: b.model,
      choices: [{ index: 0, message: { role: 'assistant', content: answer, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: Math.ceil((system.length + user.length) / 4), completion_tokens: 1, total_tokens: Math.ceil((system.length + user.length) / 4) + 1 },
    });
  }
}
