// POST /v1/classify: labels and probabilities from a classifier, through its dynamic batcher.
import type { FastifyInstance } from 'fastify';
import type { PredictInput, Prediction } from '../../predictor.js';
import type { ServeContext } from '../context.js';
import { ApiError } from '../errors.js';
import { classifySchema, type ClassifyBody } from '../schemas.js';

export function registerClassifyRoute(app: FastifyInstance, ctx: ServeContext): void {
  app.post('/v1/classify', { schema: { body: classifySchema } }, async (req, reply) => {
    const body = req.body as ClassifyBody;
    const clf = ctx.models.classifier(body.model);
    const texts = typeof body.input === 'string' ? [body.input] : body.input;
    if (texts.length > ctx.limits.maxInputs) {
      throw new ApiError(400, `${texts.length} inputs exceed the limit of ${ctx.limits.maxInputs} per request`, 'invalid_request_error', 'too_many_inputs', 'input');
    }
    const inputs: PredictInput[] = texts.map((text) => ({ text }));
    const batcher = ctx.models.batcher(body.model);
    const preds: Prediction[] = await ctx.admission.run(reply, async (signal) => {
      if (batcher) return batcher.submit(inputs, signal);
      ctx.metrics.batchSize.observe(inputs.length, { model: body.model });
      ctx.metrics.batchRequests.observe(1, { model: body.model });
      return clf.predict(inputs);
    });
    return {
      object: 'list',
      model: body.model,
      labels: clf.labels,
      data: preds.map((p, index) => ({ index, label: p.label, probs: p.probs })),
    };
  });
}
