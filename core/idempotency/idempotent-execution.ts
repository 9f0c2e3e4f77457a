import { Readable } from 'node:stream';
import { AppError, type ErrorCode } from '../errors/app-error.ts';
import type { OperationRequest, OperationResponse } from '../plugin-api/index.ts';
import type { IdempotencyStore } from './idempotency-store.ts';
import { requestFingerprint } from './request-fingerprint.ts';

const mutating = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Runs a handler under the request's Idempotency-Key: the first execution's status and body are
 * stored and replayed to retries (with Idempotent-Replayed: true); the same key with another
 * request is 422, while the first still runs 409. Keys are scoped to (workspace, principal, method,
 * route), so a response never leaks to another caller.
 */
export async function executeIdempotently(
  store: IdempotencyStore,
  operation: { path: string; 'x-idempotency'?: string },
  request: OperationRequest,
  key: string | undefined,
  run: () => Promise<OperationResponse>,
): Promise<OperationResponse> {
  if (!mutating.has(request.method)) return run();
  if (key === undefined || key === '') {
    if (operation['x-idempotency'] === 'required') throw new AppError('bad_request', 'This operation requires an Idempotency-Key header');
    return run();
  }
  if (key.length > 255)
    throw new AppError('validation_failed', 'Idempotency-Key must be at most 255 characters', {
      details: [{ path: '/header/idempotency-key', message: 'must NOT have more than 255 characters' }],
    });
  const who = request.principal ? `${request.principal.kind}:${request.principal.id}` : `anonymous:${request.clientAddress}`;
  const scope = [request.tenantId ?? '-', who, request.method, operation.path].join(' ');
  const claim = await store.claim(scope, key, requestFingerprint(request));
  switch (claim.kind) {
    case 'mismatch':
      throw new AppError('unprocessable', 'This Idempotency-Key was already used with a different request');
    case 'in_progress':
      throw new AppError('conflict', 'A request with this Idempotency-Key is still being processed; retry later', { headers: { 'Retry-After': '1' } });
    case 'replay': {
      const { status, headers, body } = claim.response;
      if (status >= 400 && body) {
        // Stored errors replay through the error format, with this request's correlation id.
        const stored = JSON.parse(body.toString()).error as { code: ErrorCode; message: string; details?: unknown };
        throw new AppError(stored.code, stored.message, { details: stored.details, headers: { 'Idempotent-Replayed': 'true' } });
      }
      return { status, headers: { ...headers, 'Idempotent-Replayed': 'true' }, body: body ?? undefined };
    }
  }
  let response: OperationResponse;
  try {
    response = await run();
  } catch (error) {
    // Errors the handler chose (4xx) are answers worth replaying; faults are not.
    if (error instanceof AppError && error.status < 500) {
      await store.complete(scope, key, {
        status: error.status,
        headers: { 'content-type': 'application/json' },
        body: Buffer.from(
          JSON.stringify({ error: { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) } }),
        ),
      });
    } else {
      await store.release(scope, key);
    }
    throw error;
  }
  if (response.body instanceof Readable) {
    await store.release(scope, key);
    return response;
  }
  const body =
    response.body === undefined
      ? null
      : Buffer.isBuffer(response.body)
        ? response.body
        : Buffer.from(typeof response.body === 'string' ? response.body : JSON.stringify(response.body));
  const contentType = typeof response.body === 'object' && !Buffer.isBuffer(response.body) ? 'application/json; charset=utf-8' : undefined;
  await store.complete(scope, key, {
    status: response.status ?? (body ? 200 : 204),
    headers: { ...(contentType ? { 'content-type': contentType } : {}), ...response.headers },
    body,
  });
  return response;
}
