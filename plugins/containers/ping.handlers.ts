import { AppError, type OperationRequest } from '../../core/plugin-api/index.ts';
import type { IncomingPing, PingAck } from './ping-ingest.ts';
import type { PingKind } from './ping-semantics.ts';

/** Bytes of a ping body that are stored (Healthchecks' default). */
export const pingBodyLimit = 10_000;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const answerHeaders = { 'Access-Control-Allow-Origin': '*', 'Ping-Body-Limit': String(pingBodyLimit) };

/** The first `limit` bytes of `text` as UTF-8 (a character cut in half is dropped), without NULs (PostgreSQL text has none). */
export function storedBody(text: string, limit = pingBodyLimit): string {
  let stored = text;
  if (Buffer.byteLength(text) > limit) {
    stored = Buffer.from(text).subarray(0, limit).toString('utf8');
    if (stored.endsWith('\uFFFD')) stored = stored.slice(0, -1);
  }
  return stored.includes('\u0000') ? stored.replaceAll('\u0000', '\uFFFD') : stored;
}

function bodyOf(req: OperationRequest<unknown, object, object>): { body: string | null; bodyBytes: number } {
  if (req.method !== 'POST') return { body: null, bodyBytes: 0 };
  const raw = typeof req.rawBody === 'string' ? req.rawBody : typeof req.body === 'string' ? req.body : undefined;
  if (raw === undefined) {
    // A body of a type the server does not read (e.g. application/octet-stream): counted, not stored.
    return { body: null, bodyBytes: Number(req.headers['content-length'] ?? 0) || 0 };
  }
  return { body: raw === '' ? null : storedBody(raw), bodyBytes: Buffer.byteLength(raw) };
}

/**
 * The public ping routes, Healthchecks-compatible: HEAD, GET and POST on /ping/{uuid},
 * /start, /fail, /log and /{exit_code}, with an optional ?rid=. Each ping is handed to the group
 * commit and answered `200 OK` only once it is stored; an unknown uuid answers 404.
 */
export function pingHandlers(deps: { submit: (ping: IncomingPing) => Promise<PingAck>; clock: () => Date }) {
  const handler = (kind: PingKind | 'exit_code') => async (req: OperationRequest<unknown, { uuid: string; exit_code?: number }, { rid?: string }>) => {
    const at = deps.clock();
    const uuid = String(req.params.uuid);
    if (!uuidPattern.test(uuid)) throw new AppError('not_found', 'No heartbeat has this uuid', { headers: answerHeaders });
    let pingKind: PingKind = kind === 'exit_code' ? 'success' : kind;
    let exitCode: number | null = null;
    if (kind === 'exit_code') {
      exitCode = Number(req.params.exit_code);
      pingKind = exitCode === 0 ? 'success' : 'fail';
    }
    const userAgent = req.headers['user-agent'];
    const ack = await deps.submit({
      uuid: uuid.toLowerCase(),
      kind: pingKind,
      exitCode,
      rid: req.query.rid ? String(req.query.rid).toLowerCase() : null,
      at,
      method: req.method,
      remoteAddr: req.clientAddress || null,
      userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 200).replaceAll('\u0000', '') : null,
      ...bodyOf(req),
    });
    if (!ack) throw new AppError('not_found', 'No heartbeat has this uuid', { headers: answerHeaders });
    return { status: 200, headers: answerHeaders, body: 'OK' };
  };
  const success = handler('success');
  const start = handler('start');
  const fail = handler('fail');
  const log = handler('log');
  const exit = handler('exit_code');
  return {
    pingSuccess: success,
    pingSuccessPost: success,
    pingStart: start,
    pingStartPost: start,
    pingFail: fail,
    pingFailPost: fail,
    pingLog: log,
    pingLogPost: log,
    pingExitCode: exit,
    pingExitCodePost: exit,
  };
}
