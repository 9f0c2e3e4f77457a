import type { IncomingMessage } from 'node:http';
import { type Readable, Transform } from 'node:stream';
import { AppError } from '../errors/app-error.ts';

/**
 * `x-raw-body` on an operation: the router hands the handler the body's first `keepBytes` bytes
 * as a Buffer, whatever its media type, and its full size; the rest is read and dropped, so a
 * large body costs no memory. Bodies over `maxBytes` answer 413. For routes that must accept
 * whatever a client sends, such as heartbeat pings with a job's log (`curl --data-binary @log`).
 */
export interface RawBodyRule {
  keepBytes: number;
  maxBytes: number;
  /**
   * `{ stream: true, maxBytes }`: the handler gets the body unread (`bodyStream`), for uploads too
   * large to hold, such as imports streamed to disk; past `maxBytes` the stream errors with 413.
   */
  stream?: boolean;
}

const rules = new WeakMap<object, RawBodyRule | null>();

/** The operation's rule, read once per operation object (a router's operations never change). */
export function rawBodyRule(operation: Record<string, unknown>): RawBodyRule | null {
  const known = rules.get(operation);
  if (known !== undefined) return known;
  const rule = operation['x-raw-body'] as Partial<RawBodyRule> | undefined;
  const read =
    !rule || typeof rule !== 'object'
      ? null
      : Object.freeze({ keepBytes: Number(rule.keepBytes) || 0, maxBytes: Number(rule.maxBytes) || 0, ...(rule.stream === true ? { stream: true } : {}) });
  rules.set(operation, read);
  return read;
}

/** Contract rule: `x-raw-body` is `{ keepBytes, maxBytes }`, positive integers, keepBytes ≤ maxBytes. */
export function rawBodyProblem(value: unknown): string | null {
  if (value === undefined) return null;
  const rule = value as Partial<RawBodyRule> | null;
  if (rule?.stream === true)
    return Number.isInteger(rule.maxBytes) && (rule.maxBytes as number) > 0 ? null : 'x-raw-body with stream: true needs a positive integer maxBytes';
  const ok =
    typeof rule === 'object' &&
    rule !== null &&
    Number.isInteger(rule.keepBytes) &&
    Number.isInteger(rule.maxBytes) &&
    (rule.keepBytes as number) > 0 &&
    (rule.keepBytes as number) <= (rule.maxBytes as number);
  return ok ? null : 'x-raw-body must be { keepBytes, maxBytes } with 0 < keepBytes <= maxBytes';
}

function tooLarge(maxBytes: number): AppError {
  return new AppError('payload_too_large', `The request body is larger than ${maxBytes} bytes`, { headers: { Connection: 'close' } });
}

/**
 * Reads the request body: its first `keepBytes` bytes and its size in bytes. Over `maxBytes` it
 * stops reading and rejects with 413; the caller answers with `Connection: close`, so the rest of
 * the body is never read.
 */
export function readRawBody(req: IncomingMessage, rule: RawBodyRule): Promise<{ kept: Buffer; bytes: number }> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > rule.maxBytes) return Promise.reject(tooLarge(rule.maxBytes));
  if (req.readableEnded || (declared === 0 && !req.headers['transfer-encoding'])) return Promise.resolve({ kept: Buffer.alloc(0), bytes: 0 });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let bytes = 0;
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > rule.maxBytes) {
        done();
        req.pause();
        reject(tooLarge(rule.maxBytes));
        return;
      }
      if (kept < rule.keepBytes) {
        const part = chunk.length <= rule.keepBytes - kept ? chunk : chunk.subarray(0, rule.keepBytes - kept);
        chunks.push(part);
        kept += part.length;
      }
    };
    const onEnd = () => {
      done();
      resolve({ kept: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, kept), bytes });
    };
    const onError = (error: Error) => {
      done();
      reject(error);
    };
    const onAborted = () => onError(new AppError('bad_request', 'The client closed the request before its body ended'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

/**
 * The request body as a stream for the handler to read (`x-raw-body` with `stream: true`), cut off
 * with 413 past `maxBytes` (a declared Content-Length over it is refused before anything is read).
 */
export function streamedBody(req: IncomingMessage, rule: RawBodyRule): Readable {
  streamedBody.refuseDeclared(req, rule);
  let bytes = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > rule.maxBytes) done(tooLarge(rule.maxBytes));
      else done(null, chunk);
    },
  });
  req.once('aborted', () => limit.destroy(new AppError('bad_request', 'The client closed the request before its body ended')));
  req.on('error', (error) => limit.destroy(error));
  return req.pipe(limit);
}

/** A body whose declared Content-Length is over the limit is refused before it is read. */
streamedBody.refuseDeclared = (req: IncomingMessage, rule: RawBodyRule): void => {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > rule.maxBytes) throw tooLarge(rule.maxBytes);
};
