// POST /v1/chat/completions: the messages rendered with the model's chat template (or a plain
// "User: … / Assistant:" format), then generation. With `stream: true`: a role chunk, each piece of
// the answer as it is generated, a chunk with finish_reason, a usage chunk when
// stream_options.include_usage, then [DONE].
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify';
import type { GenerateOptions, LanguageModel } from '../../icl/language-model.js';
import { applyChatTemplate, simpleChatFormat, type ChatMessage } from '../../icl/prompt.js';
import type { Slot } from '../admission.js';
import type { ServeContext } from '../context.js';
import { generateOptions, generateStreaming, includeUsage, promptBudget, runGeneration, stopList, usageOf } from '../generation.js';
import type { EventStream } from '../sse.js';
import { chatSchema, type ChatBody } from '../schemas.js';

interface ChatPlan {
  prompt: string;
  gen: GenerateOptions;
  /** Without a chat template the answer follows "Assistant:": its leading space is not part of it. */
  trimLeadingSpace: boolean;
  includeUsage: boolean;
}

interface Head {
  id: string;
  created: number;
  model: string;
}

export function registerChatRoute(app: FastifyInstance, ctx: ServeContext): void {
  app.post('/v1/chat/completions', { schema: { body: chatSchema } }, (req, reply) => chat(ctx, req.body as ChatBody, reply, req.log));
}

async function chat(ctx: ServeContext, body: ChatBody, reply: FastifyReply, log: FastifyBaseLogger): Promise<unknown> {
  const lm = ctx.models.languageModel(body.model);
  const plan = planOf(lm, body, ctx.limits.maxTokens);
  const head: Head = { id: `chatcmpl-${randomUUID()}`, created: Math.floor(Date.now() / 1000), model: body.model };
  return runGeneration(ctx.admission, reply, log, {
    budget: () => promptBudget(lm, body.model, plan.prompt, plan.gen.maxTokens, ctx.limits.maxTokens, 'messages'),
    stream: body.stream ? (promptTokens, slot, events) => streamChat(lm, plan, promptTokens, head, slot, events) : undefined,
    respond: async (promptTokens, signal) => {
      const g = await lm.generate(plan.prompt, { ...plan.gen, signal });
      const content = plan.trimLeadingSpace ? g.text.replace(/^ /, '') : g.text;
      return {
        ...head,
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: g.finishReason, logprobs: null }],
        usage: usageOf(promptTokens, g.tokens),
      };
    },
  });
}

function planOf(lm: LanguageModel, body: ChatBody, maxTokensLimit: number): ChatPlan {
  const messages: ChatMessage[] = body.messages.map((m) => ({
    role: m.role === 'developer' ? 'system' : m.role,
    content: typeof m.content === 'string' ? m.content : m.content.map((c) => c.text).join(''),
  }));
  const prompt = lm.chatTemplate ? applyChatTemplate(lm.chatTemplate, messages, { addGenerationPrompt: true }) : simpleChatFormat(messages);
  const stop = stopList(body.stop);
  if (!lm.chatTemplate) stop.push('\nUser:', '\nSystem:');
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? Math.min(256, maxTokensLimit);
  return { prompt, gen: generateOptions(body, maxTokens, stop), trimLeadingSpace: !lm.chatTemplate, includeUsage: includeUsage(body) };
}

async function streamChat(lm: LanguageModel, plan: ChatPlan, promptTokens: number, head: Head, slot: Slot, events: EventStream): Promise<void> {
  const usageField = plan.includeUsage ? { usage: null } : {};
  const chunk = (delta: Record<string, string>, finish: string | null) => ({
    ...head,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    ...usageField,
  });
  events.send(chunk({ role: 'assistant', content: '' }, null));
  let atStart = plan.trimLeadingSpace;
  const g = await slot.hold((signal) =>
    generateStreaming(lm, plan.prompt, plan.gen, signal, (piece) => {
      const content = atStart ? piece.replace(/^ /, '') : piece;
      atStart = false;
      if (content.length > 0) events.send(chunk({ content }, null));
    }),
  );
  events.send(chunk({}, g.finishReason));
  if (plan.includeUsage) events.send({ ...head, object: 'chat.completion.chunk', choices: [], usage: usageOf(promptTokens, g.tokens) });
  events.done();
}
