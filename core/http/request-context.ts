import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Logger } from '../logging/logger.ts';
import type { HttpMetrics } from './http-metrics.ts';

const acceptableId = /^[A-Za-z0-9._:-]{1,128}$/;

export interface RequestState {
  correlationId: string;
  logger: Logger;
  operationId?: string;
}

/** The request's state, its child logger built on first use: most requests never log, and building one serialises its bindings. */
class State implements RequestState {
  operationId?: string;
  private child?: Logger;

  constructor(
    readonly correlationId: string,
    private readonly root: Logger,
  ) {}

  get logger(): Logger {
    this.child ??= this.root.child({ correlationId: this.correlationId });
    return this.child;
  }
}

/**
 * First middleware: fixes the correlation id (the caller's if well-formed, else a new one), echoes
 * it, gives the request a child logger, and records the outcome in logs and metrics.
 */
export function requestContext(logger: Logger, metrics: HttpMetrics) {
  return async (ctx: Context, next: Next) => {
    const started = process.hrtime.bigint();
    const incoming = ctx.get('x-correlation-id');
    const correlationId = acceptableId.test(incoming) ? incoming : randomUUID();
    // A class instance, not Koa's plain object given a getter per request (which makes it a slow dictionary object).
    const state = new State(correlationId, logger);
    ctx.state = state;
    ctx.set('x-correlation-id', correlationId);
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observe(ctx.method, state.operationId ?? 'unmatched', ctx.status, seconds);
      const level = ctx.status >= 500 ? 'error' : 'debug';
      // Checked first: most requests log nothing, and the child logger is only built to log.
      if (logger.isLevelEnabled(level)) {
        state.logger[level](
          { method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(seconds * 1000), operationId: state.operationId },
          'request',
        );
      }
    }
  };
}
