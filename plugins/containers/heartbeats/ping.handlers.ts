import { AppError, type OperationRequest } from '../../../core/plugin-api/index.ts';
import type { IncomingPing, PingAck } from './ping-ingest.ts';
import type { PingKind } from './ping-semantics.ts';

/** Bytes of a ping body that are stored (Healthchecks' default). */
export const pingBodyLimit = 10_000;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A ping's answer is a receipt for that one request: no browser or proxy may reuse it for another ping. */
const answerHeaders = { 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-cache', 'Ping-Body-Limit': String(pingBodyLimit) };
/** The stored ping's `OK`, its media type given (else Koa looks "text" up in the MIME table on every ping). */
const storedHeaders = { ...answerHeaders, 'Content-Type': 'text/plain; charset=utf-8' };
/** Browser jobs ping too: a preflight for any origin, the ping methods and a body's media type. */
const preflightHeaders = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, User-Agent',
  'Access-Control-Max-Age': '86400',
  'Cache-Control': 'no-cache',
};

/**
 * The client's address without a port: a forwarded `203.0.113.5:41234` or `[2001:db8::1]:443` is
 * stored as the address alone, so pings from one host read alike; a bare IPv6 address is kept whole.
 */
export function addressWithoutPort(address: string | undefined): string | null {
  if (!address) return null;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) return bracketed[1];
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(address);
  return v4 ? v4[1] : address;
}

/**
 * A body as stored: its kept bytes (at most the limit, as the contract's `x-raw-body` keeps them)
 * read as UTF-8 text, whatever the media type; a character cut at the limit is dropped, bytes that
 * are no UTF-8 read as U+FFFD and NULs (PostgreSQL text has none) too.
 */
export function storedBody(kept: Buffer, truncated: boolean): string | null {
  if (kept.length === 0) return null;
  let text = kept.toString('utf8');
  if (truncated && text.endsWith('\uFFFD')) text = text.slice(0, -1);
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;
}

function bodyOf(req: OperationRequest<unknown, object, object>): { body: string | null; bodyBytes: number } {
  if (!Buffer.isBuffer(req.body)) return { body: null, bodyBytes: 0 };
  const bodyBytes = req.bodyBytes ?? req.body.length;
  return { body: storedBody(req.body.subarray(0, pingBodyLimit), bodyBytes > Math.min(req.body.length, pingBodyLimit)), bodyBytes };
}

/**
 * The public ping routes, Healthchecks-compatible: HEAD, GET and POST on /ping/{uuid},
 * /start, /fail, /log and /{exit_code}, with an optional ?rid=. Each ping is handed to the group
 * commit and answered `200 OK` only once it is stored; an unknown uuid answers 404. OPTIONS answers
 * a CORS preflight without looking the uuid up.
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
      remoteAddr: addressWithoutPort(req.clientAddress),
      userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 200).replaceAll('\u0000', '') : null,
      ...bodyOf(req),
    });
    if (!ack) throw new AppError('not_found', 'No heartbeat has this uuid', { headers: answerHeaders });
    return { status: 200, headers: storedHeaders, body: 'OK' };
  };
  const success = handler('success');
  const start = handler('start');
  const fail = handler('fail');
  const log = handler('log');
  const exit = handler('exit_code');
  const preflight = async () => ({ status: 204, headers: preflightHeaders });
  return {
    pingPreflight: preflight,
    pingStartPreflight: preflight,
    pingFailPreflight: preflight,
    pingLogPreflight: preflight,
    pingExitCodePreflight: preflight,
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
