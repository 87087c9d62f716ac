// Server-sent events as OpenAI streams them: `data: <json>` events, ending with `data: [DONE]`.
import { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { ApiError, errorBody } from './errors.js';

export class EventStream {
  /** The response body: hand it to reply.send(). */
  readonly body = new PassThrough();

  constructor(reply: FastifyReply) {
    reply.header('content-type', 'text/event-stream; charset=utf-8');
    reply.header('cache-control', 'no-cache');
    reply.header('connection', 'keep-alive');
    reply.header('x-accel-buffering', 'no');
  }

  /** False once the stream ended or the client went away (events are then dropped). */
  get open(): boolean {
    return !this.body.destroyed && !this.body.writableEnded;
  }

  send(data: unknown): void {
    if (this.open) this.body.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
  }

  done(): void {
    this.send('[DONE]');
    if (this.open) this.body.end();
  }

  /**
   * An error after the 200 went out (a timeout, a model failure): one event in OpenAI's error shape,
   * which the openai client raises as an APIError, then the end of the stream.
   */
  fail(err: unknown): void {
    const e = err instanceof ApiError ? err : new ApiError(500, `internal error: ${err instanceof Error ? err.message : String(err)}`, 'server_error');
    this.send(errorBody(e.message, e.type, e.code, e.param));
    if (this.open) this.body.end();
  }
}
