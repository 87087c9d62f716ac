// POST /v1/completions: text completion of one or more prompts, with `echo` + `logprobs` (see
// ../logprobs.ts). With `stream: true` each piece of text goes out as it is generated (server-sent
// events: text chunks, a chunk with finish_reason per prompt, a usage chunk when
// stream_options.include_usage, then [DONE]); streamed chunks carry no logprobs.
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify';
import type { GenerateOptions, Generation, LanguageModel } from '../../icl/language-model.js';
import type { Slot } from '../admission.js';
import type { ServeContext } from '../context.js';
import { generateOptions, generateStreaming, includeUsage, NO_GENERATION, promptBudget, runGeneration, stopList, usageOf } from '../generation.js';
import { completionLogprobs, type LogprobsOut } from '../logprobs.js';
import type { EventStream } from '../sse.js';
import { completionSchema, type CompletionBody } from '../schemas.js';

interface CompletionPlan {
  prompts: string[];
  maxTokens: number;
  echo: boolean;
  logprobs: boolean;
  gen: GenerateOptions;
  includeUsage: boolean;
}

interface Head {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
}

interface Completed {
  generation: Generation;
  logprobs: LogprobsOut | null;
}

export function registerCompletionRoute(app: FastifyInstance, ctx: ServeContext): void {
  app.post('/v1/completions', { schema: { body: completionSchema } }, (req, reply) => complete(ctx, req.body as CompletionBody, reply, req.log));
}

async function complete(ctx: ServeContext, body: CompletionBody, reply: FastifyReply, log: FastifyBaseLogger): Promise<unknown> {
  const lm = ctx.models.languageModel(body.model);
  const plan = planOf(body);
  const head: Head = { id: `cmpl-${randomUUID()}`, object: 'text_completion', created: Math.floor(Date.now() / 1000), model: body.model };
  return runGeneration(ctx.admission, reply, log, {
    budget: () => Promise.all(plan.prompts.map((p) => promptBudget(lm, body.model, p, plan.maxTokens, ctx.limits.maxTokens, 'prompt'))),
    stream: body.stream ? (promptTokens, slot, events) => streamCompletions(lm, plan, promptTokens, head, slot, events) : undefined,
    respond: async (promptTokens, signal) => {
      const done = await completeAll(lm, plan, signal);
      return {
        ...head,
        choices: done.map((d, index) => ({
          index,
          text: (plan.echo ? plan.prompts[index]! : '') + d.generation.text,
          finish_reason: d.generation.finishReason,
          logprobs: d.logprobs,
        })),
        usage: usageOf(sum(promptTokens), sum(done.map((d) => d.generation.tokens))),
      };
    },
  });
}

function planOf(body: CompletionBody): CompletionPlan {
  const maxTokens = body.max_tokens ?? 16;
  return {
    prompts: typeof body.prompt === 'string' ? [body.prompt] : body.prompt,
    maxTokens,
    echo: body.echo === true,
    logprobs: body.logprobs !== undefined && body.logprobs !== null,
    gen: generateOptions(body, maxTokens, stopList(body.stop)),
    includeUsage: includeUsage(body),
  };
}

async function completeAll(lm: LanguageModel, plan: CompletionPlan, signal: AbortSignal): Promise<Completed[]> {
  const out: Completed[] = [];
  for (const prompt of plan.prompts) {
    const generation = plan.maxTokens > 0 ? await lm.generate(prompt, { ...plan.gen, signal }) : NO_GENERATION;
    const logprobs = plan.logprobs ? await completionLogprobs(lm, prompt, generation.text, plan.echo) : null;
    out.push({ generation, logprobs });
  }
  return out;
}

async function streamCompletions(lm: LanguageModel, plan: CompletionPlan, promptTokens: number[], head: Head, slot: Slot, events: EventStream): Promise<void> {
  const usageField = plan.includeUsage ? { usage: null } : {};
  const chunk = (index: number, text: string, finish: string | null) => ({ ...head, choices: [{ index, text, finish_reason: finish, logprobs: null }], ...usageField });
  let completionTokens = 0;
  for (const [index, prompt] of plan.prompts.entries()) {
    if (plan.echo && prompt.length > 0) events.send(chunk(index, prompt, null));
    const g = plan.maxTokens > 0 ? await slot.hold((signal) => generateStreaming(lm, prompt, plan.gen, signal, (piece) => events.send(chunk(index, piece, null)))) : NO_GENERATION;
    completionTokens += g.tokens;
    events.send(chunk(index, '', g.finishReason));
  }
  if (plan.includeUsage) events.send({ ...head, choices: [], usage: usageOf(sum(promptTokens), completionTokens) });
  events.done();
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
