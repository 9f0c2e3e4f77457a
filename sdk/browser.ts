/**
 * The SDK for browsers (and any runtime with fetch and WebSocket): everything but what needs Node
 * (`verifyWebhook` uses node:crypto; webhooks are verified on servers). Nothing here imports a
 * `node:` module.
 */
export * from './api-error.ts';
export * from './client.ts';
export * from './events.ts';
export type * from './generated/openapi.ts';
export * from './pagination.ts';
export * from './pings.ts';
export * from './sse.ts';
export { backoff, randomId } from './transport.ts';
