// Hooks every request passes: API-key check, request metrics, and graceful shutdown.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors.js';
import type { ServerMetrics } from './metrics.js';

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Every route but /health needs `Authorization: Bearer <apiKey>` (compared in constant time). */
export function requireApiKey(app: FastifyInstance, apiKey: string | undefined): void {
  if (apiKey === undefined) return;
  const expected = sha256(apiKey);
  app.addHook('onRequest', async (req) => {
    if (req.url === '/health') return;
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    const given = sha256(m ? m[1]!.trim() : '');
    if (!m || !timingSafeEqual(given, expected)) {
      throw new ApiError(401, 'invalid or missing API key (Authorization: Bearer <key>)', 'authentication_error', 'invalid_api_key', null, {
        'www-authenticate': 'Bearer',
      });
    }
  });
}

export function countRequests(app: FastifyInstance, metrics: ServerMetrics): void {
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, method: req.method, status: String(reply.statusCode) });
    metrics.latency.observe(reply.elapsedTime / 1000, { route });
  });
}

/**
 * Graceful shutdown: Fastify stops accepting and waits for in-flight requests; connections kept
 * alive by clients would hold close() until their keep-alive timeout, so answers sent while
 * closing say `connection: close` and idle sockets are closed as soon as they become idle.
 */
export function closeGracefully(app: FastifyInstance): void {
  let closing = false;
  let idleSweeper: NodeJS.Timeout | undefined;
  app.addHook('preClose', async () => {
    closing = true;
    idleSweeper = setInterval(() => app.server.closeIdleConnections(), 50);
    idleSweeper.unref();
  });
  app.addHook('onClose', async () => {
    if (idleSweeper) clearInterval(idleSweeper);
  });
  app.addHook('onSend', async (_req, reply) => {
    if (closing) reply.header('connection', 'close');
  });
}
