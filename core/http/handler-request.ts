import type { Readable } from 'node:stream';
import type { Context } from 'koa';
import type { OperationRequest, Principal } from '../plugin-api/index.ts';
import { type RawBodyRule, streamedBody } from './raw-body.ts';

/**
 * The request a handler gets. A class, with `signal` and `bodyStream` as getters on its prototype:
 * an object literal defining its own getters gave each request a new hidden class, reached from a
 * long-lived one's transitions, which every young-generation collection counted as alive until the
 * next full one: a third of every request's garbage was copied and promoted (10 MB and 10-15 ms a
 * scavenge under load, the p99 of every endpoint).
 */
/** What the router gives a request besides its two lazy parts. */
export type HandlerRequestFields = Omit<OperationRequest, 'signal' | 'bodyStream'>;

export class HandlerRequest implements OperationRequest {
  operationId: string;
  method: string;
  path: string;
  params: Record<string, string>;
  query: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  rawBody?: string;
  bodyBytes?: number;
  principal: Principal | null;
  tenantId?: string;
  correlationId: string;
  clientAddress: string;
  private abort?: AbortController;
  private stream?: Readable;

  // Each field assigned by name, in one order: every request shares one hidden class.
  constructor(
    private readonly ctx: Context,
    private readonly streamRule: RawBodyRule | undefined,
    fields: HandlerRequestFields,
  ) {
    this.operationId = fields.operationId;
    this.method = fields.method;
    this.path = fields.path;
    this.params = fields.params;
    this.query = fields.query;
    this.headers = fields.headers;
    this.body = fields.body;
    this.rawBody = fields.rawBody;
    this.bodyBytes = fields.bodyBytes;
    this.principal = fields.principal;
    this.tenantId = fields.tenantId;
    this.correlationId = fields.correlationId;
    this.clientAddress = fields.clientAddress;
  }
  /** Made only for handlers that ask for it (streams); only a client that leaves before the answer aborts it (an AbortError costs a stack trace). */
  get signal(): AbortSignal {
    if (!this.abort) {
      const controller = new AbortController();
      this.abort = controller;
      const { req, res } = this.ctx;
      req.once('close', () => {
        if (!res.writableEnded) controller.abort();
      });
    }
    return this.abort.signal;
  }

  /** Made when the handler first reads it: a body never read is left to Node, which discards it. */
  get bodyStream(): Readable | undefined {
    if (this.streamRule) this.stream ??= streamedBody(this.ctx.req, this.streamRule);
    return this.stream;
  }
}
