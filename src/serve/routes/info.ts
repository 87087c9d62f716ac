// GET /health (no key needed), GET /metrics (Prometheus text), GET /v1/models.
import type { FastifyInstance } from 'fastify';
import type { ServeContext } from '../context.js';

export function registerInfoRoutes(app: FastifyInstance, ctx: ServeContext): void {
  app.get('/health', async () => ({ status: 'ok', models: ctx.models.count }));

  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8');
    return ctx.metrics.render();
  });

  app.get('/v1/models', async () => {
    const created = Math.floor(Date.now() / 1000);
    return {
      object: 'list',
      data: [
        ...ctx.models.languageModelEntries().map(([id, lm]) => ({ id, object: 'model', created, owned_by: 'tuneshot', kind: 'language-model', context_length: lm.contextLength })),
        ...ctx.models.classifierEntries().map(([id, c]) => ({ id, object: 'model', created, owned_by: 'tuneshot', kind: 'classifier', labels: c.labels })),
      ],
    };
  });
}
