// POST /v1/tokenize: the token ids a language model sees for a prompt.
import type { FastifyInstance } from 'fastify';
import type { ServeContext } from '../context.js';
import { tokenizeSchema, type TokenizeBody } from '../schemas.js';

export function registerTokenizeRoute(app: FastifyInstance, ctx: ServeContext): void {
  app.post('/v1/tokenize', { schema: { body: tokenizeSchema } }, async (req, reply) => {
    const body = req.body as TokenizeBody;
    const lm = ctx.models.languageModel(body.model);
    const tokens = await ctx.admission.run(reply, () => lm.tokenize(body.prompt));
    return { tokens, count: tokens.length };
  });
}
