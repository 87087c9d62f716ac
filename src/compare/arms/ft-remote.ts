// The remote fine-tuning arm: at each budget and seed, one job of a provider's fine-tuning jobs API
// (OpenAI's, or a server copying it) trains the base model on exactly the budget's pool, rendered
// as the chat JSONL of the zero-shot ICL prompt (src/remote), and the fine-tuned model is scored
// zero-shot on the test set through the ICL scorer (the openai backend's chat scoring, at the same
// endpoint). remoteFinetune() does the lifecycle: a file the registry knows is not uploaded again,
// and a finished job for the same data and hyperparameters is reused instead of training again.
// Cost: trained tokens × the training price once; tokens a query × the fine-tuned model's price.
import * as path from 'node:path';
import type { Example } from '../../data/dataset.js';
import { percentile } from '../../eval/metrics.js';
import type { Budget, RemoteJobInfo } from '../../eval/results.js';
import { choiceInstruction } from '../../icl/backends/openai.js';
import { createLanguageModel, parseBackendSpec } from '../../icl/backends/index.js';
import { IclClassifier } from '../../icl/classify.js';
import type { LanguageModel } from '../../icl/language-model.js';
import { truncateTokens } from '../../icl/truncate.js';
import type { PromptProgram } from '../../icl/prompt.js';
import { labelChoices } from '../../remote/chat-jsonl.js';
import { checkHyperparameters, parseRemoteBase, remoteFinetune } from '../../remote/finetune.js';
import type { RemoteFinetuner, RemoteHyperparameters } from '../../remote/finetuner.js';
import { createRemoteFinetuner, remoteProviderInfo } from '../../remote/providers.js';
import type { Arm, ArmCell, ArmContext, ArmOutcome, ArmPlanner } from '../arm.js';
import type { CompareOptions } from '../options.js';

export const planRemoteArms: ArmPlanner = (ctx) => {
  const specs = ctx.options.ftRemote ?? [];
  if (specs.length === 0) return [];
  const r = ctx.options.remote ?? {};
  const hyperparameters = checkHyperparameters(r.hyperparameters);
  const seen = new Set<string>();
  return specs.map((spec) => {
    const { provider, model } = parseRemoteBase(spec); // checked by validateCompareOptions
    if (seen.has(spec)) throw new Error(`remote base model "${spec}" given twice`);
    seen.add(spec);
    if (r.finetuner && r.finetuner.provider !== provider) throw new Error(`the given finetuner is for ${r.finetuner.provider}, ${spec} for ${provider}`);
    return new RemoteFinetuneArm(spec, provider, model, hyperparameters, ctx);
  });
};

/** The registry folder that remembers uploaded files and jobs: compare's, else $TUNESHOT_HOME. */
function registryHome(r: CompareOptions['registry']): string | undefined {
  if (typeof r === 'string') return r;
  if (r && typeof r === 'object') return path.dirname(r.path);
  // registry: false records no run, but the provider's files and jobs must still be remembered, or they are paid for again.
  return undefined;
}

/** Examples the budget's class-balanced pool holds (the same for every seed). */
function poolSize(train: readonly Example[], budget: Budget): number {
  if (budget === 'all') return train.length;
  const counts = new Map<string, number>();
  for (const e of train) counts.set(e.label ?? '', (counts.get(e.label ?? '') ?? 0) + 1);
  let n = 0;
  for (const c of counts.values()) n += Math.min(c, budget);
  return n;
}

/** The endpoint the OpenAI client will talk to, known before connecting (it is part of each cell's hash). */
function endpointOf(o: CompareOptions['remote']): string {
  if (o?.finetuner) return o.finetuner.endpoint;
  return (o?.connection?.baseURL ?? (process.env.OPENAI_BASE_URL || undefined) ?? 'https://api.openai.com/v1').replace(/\/+$/, '');
}

class RemoteFinetuneArm implements Arm {
  readonly id: string;
  readonly kind = 'ft-remote' as const;
  readonly label: string;
  readonly model: string;
  readonly variant: string;
  readonly settings: Record<string, unknown>;
  readonly notes: string[];
  private readonly instruction: string;
  private readonly price: number | undefined;
  private readonly trainPrice: number | undefined;
  private readonly minExamples: number;
  private ft: RemoteFinetuner | undefined;

  constructor(
    private readonly spec: string,
    private readonly provider: string,
    baseModel: string,
    private readonly hyperparameters: RemoteHyperparameters,
    private readonly ctx: ArmContext,
  ) {
    const o = ctx.options;
    this.id = `ft-remote:${spec}`;
    this.label = `remote FT ${baseModel}`;
    this.model = spec;
    const hp = Object.entries(hyperparameters).map(([k, v]) => `${k}=${String(v)}`).join(', ');
    this.variant = `${provider} jobs API${hp ? `, ${hp}` : ''}${o.remote?.suffix ? `, suffix ${o.remote.suffix}` : ''}`;
    this.instruction = o.instruction ?? `Classify the text as one of: ${ctx.labels.join(', ')}.`;
    // Per query: the fine-tuned model's own price (never the base model's or the backend's: providers charge more for it).
    this.price = ctx.price([this.id, 'ft-remote']);
    const tp = o.trainPrices ?? {};
    this.trainPrice = [this.id, spec, provider, 'ft-remote'].map((k) => tp[k]).find((v) => v !== undefined);
    this.minExamples = remoteProviderInfo(provider)?.minExamples ?? 1;
    const endpoint = endpointOf(o.remote);
    this.settings = {
      spec, endpoint, hyperparameters, suffix: o.remote?.suffix ?? null, instruction: this.instruction,
      price: this.price ?? null, trainPrice: this.trainPrice ?? null,
    };
    const skipped = (o.budgets ?? [0, 4, 16, 64, 'all']).filter((b) => b !== 0 && !this.runsAt(b));
    this.notes = [
      `${this.id}: one ${provider} fine-tuning job a budget and seed at ${endpoint} (the budget's examples as chat JSONL of the zero-shot prompt; a finished job for the same data and hyperparameters is reused); `
        + 'scored zero-shot through the ICL scorer by chat completions; tokens a query estimated as the ICL arm counts them (one token per 3 bytes without a /tokenize endpoint); '
        + `training time is the provider's, from job creation to its end`,
      ...(skipped.length ? [`${this.id}: budget${skipped.length > 1 ? 's' : ''} ${skipped.join(', ')} skipped: fewer than ${this.minExamples} training examples, the provider's minimum`] : []),
    ];
    if (skipped.length && !o.quiet) process.stderr.write(`compare: ${this.notes.at(-1)}\n`);
  }

  /** Nothing to train on at budget 0, and the provider refuses pools under its minimum. */
  runsAt(budget: Budget): boolean {
    return budget !== 0 && poolSize(this.ctx.train, budget) >= this.minExamples;
  }

  async prepare(): Promise<void> {
    if (this.ft) return;
    const r = this.ctx.options.remote ?? {};
    try {
      const ft = r.finetuner ?? (await createRemoteFinetuner(this.provider, r.connection));
      // One cheap request: a wrong key or an unreachable server stops the run now, not as a failed cell per budget and seed.
      await ft.listJobs(1);
      this.ft = ft;
    } catch (e) {
      throw new Error(`${this.id}: ${(e as Error).message}`);
    }
  }

  async run(cell: ArmCell): Promise<ArmOutcome> {
    await this.prepare();
    const o = this.ctx.options;
    const { labels } = this.ctx;
    const started = performance.now();
    const r = await remoteFinetune({
      base: this.spec, train: cell.pool, labels, program: { instruction: this.instruction },
      hyperparameters: this.hyperparameters, ...(o.remote?.suffix !== undefined ? { suffix: o.remote.suffix } : {}), seed: cell.seed,
      finetuner: this.ft!, ...(o.remote?.pollIntervalMs !== undefined ? { pollIntervalMs: o.remote.pollIntervalMs } : {}),
      quiet: true, onUpdate: (u) => cell.onStatus?.(`${u.job.id} ${u.job.status}`),
      // The compare run is the recorded run; the job itself is kept in the registry's job table either way.
      recordRun: false, ...(registryHome(o.registry) !== undefined ? { home: registryHome(o.registry)! } : {}),
    });
    const waited = (performance.now() - started) / 1000;
    if (!r.fineTunedModel || !r.access || !('backend' in r.access)) {
      throw new Error(r.access && 'unavailable' in r.access ? r.access.unavailable : `job ${r.jobId} ended ${r.job.status} without a fine-tuned model`);
    }
    const conn = o.remote?.connection ?? {};
    const lm = await createLanguageModel({
      ...parseBackendSpec(r.access.backend), ...r.access.backendOptions,
      ...(conn.apiKey !== undefined ? { apiKey: conn.apiKey } : {}), ...(conn.maxRetries !== undefined ? { maxRetries: conn.maxRetries } : {}),
      ...(conn.timeoutMs !== undefined ? { timeoutMs: conn.timeoutMs } : {}),
    });
    try {
      const scored = await this.score(lm, r.program, cell);
      const job = r.job;
      // The provider's training time (so a reused job reports what it took), else the time waited here.
      const trainSeconds = job.finishedAt !== null && job.finishedAt >= job.createdAt ? job.finishedAt - job.createdAt : waited;
      const remoteJob: RemoteJobInfo = {
        provider: r.provider, endpoint: r.endpoint, jobId: r.jobId, fineTunedModel: r.fineTunedModel, trainedTokens: r.trainedTokens, reused: r.reused.job,
      };
      return {
        predictions: scored.predictions,
        train: { wallSeconds: trainSeconds, flops: 0 },
        inference: { p50Ms: percentile(scored.latencies, 50) || 0, p95Ms: percentile(scored.latencies, 95) || 0, tokensPerQuery: scored.tokensPerQuery, flopsPerQuery: 0 },
        // The provider does not say how big its models are.
        params: 0,
        modelSizeBytes: 0,
        ...(this.price !== undefined ? { costPer1kQueriesUsd: this.price * scored.tokensPerQuery } : {}),
        // Training prices are USD per million trained tokens.
        ...(this.trainPrice !== undefined && r.trainedTokens !== null ? { oneOffCostUsd: (this.trainPrice * r.trainedTokens) / 1e6 } : {}),
        remoteJob,
      };
    } finally {
      await lm.dispose?.();
    }
  }

  /** The fine-tuned model's label for every test example, asked one at a time (timed), and the tokens a query sends and gets. */
  private async score(lm: LanguageModel, program: PromptProgram, cell: ArmCell): Promise<{ predictions: string[]; latencies: number[]; tokensPerQuery: number }> {
    const { test } = this.ctx;
    const clf = new IclClassifier({ lm, program, pool: [], concurrency: 1, id: this.id });
    const choices = labelChoices(program);
    const systemTokens = (await lm.tokenize(choiceInstruction(choices))).length;
    const answerTokens = Math.max(0, ...(await Promise.all(choices.map(async (w) => (await lm.tokenize(w)).length))));
    // A text longer than the scorer's context window is cut (prefix kept), as the ICL arm cuts its queries.
    const overhead = systemTokens + (await lm.tokenize(`${this.instruction}\n\nInput: \nLabel:`)).length + answerTokens + 16;
    const perText = Math.max(16, lm.contextLength - overhead);
    const predictions: string[] = [];
    const latencies: number[] = [];
    let promptTokens = 0;
    for (let i = 0; i < test.length; i++) {
      const e = test[i]!;
      const q = { text: await truncateTokens(lm, e.text, perText), ...(e.textPair !== undefined ? { textPair: e.textPair } : {}) };
      const t0 = performance.now();
      const [p] = await clf.predictDetailed([q]);
      latencies.push(performance.now() - t0);
      predictions.push(p!.label);
      promptTokens += (await lm.tokenize(p!.prompt)).length;
      cell.onQuery(i + 1, test.length);
    }
    const tokensPerQuery = test.length ? systemTokens + promptTokens / test.length + answerTokens : 0;
    return { predictions, latencies, tokensPerQuery };
  }
}
