// Errors in OpenAI's shape ({error: {message, type, param, code}}) and the handlers that send them.
import type { FastifyInstance } from 'fastify';

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly type = 'invalid_request_error',
    readonly code: string | null = null,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function errorBody(message: string, type: string, code: string | null, param: string | null = null) {
  return { error: { message, type, param, code } };
}

/** The reason a request's work is cancelled when its client goes away (nobody reads the answer). */
export const clientClosed = () => new ApiError(499, 'the client closed the connection', 'invalid_request_error', 'client_closed');

export const timedOut = (ms: number) => new ApiError(504, `request timed out after ${ms} ms`, 'timeout_error', 'timeout');

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string; validation?: unknown }, req, reply) => {
    if (err instanceof ApiError) {
      for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
      return reply.status(err.statusCode).send(errorBody(err.message, err.type, err.code, err.param));
    }
    if (err.validation) {
      return reply.status(400).send(errorBody(`invalid request: ${err.message}`, 'invalid_request_error', 'invalid_body'));
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status === 413) return reply.status(413).send(errorBody(`request body too large (limit ${app.initialConfig.bodyLimit} bytes)`, 'invalid_request_error', 'body_too_large'));
    if (status < 500) return reply.status(status).send(errorBody(err.message, 'invalid_request_error', err.code ?? null));
    req.log.error(err);
    return reply.status(status).send(errorBody(`internal error: ${err.message}`, 'server_error', null));
  });

  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send(errorBody(`no route ${req.method} ${req.url.split('?')[0]}`, 'invalid_request_error', 'not_found'));
  });
}
