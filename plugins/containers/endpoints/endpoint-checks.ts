import http from 'node:http';
import https from 'node:https';
import net, { isIP, type LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { bareHost, type CheckAddressPolicy, CheckBlockedError, resolveCheckTarget } from './endpoint-address-policy.ts';

/** What an endpoint check found. */
export interface CheckOutcome {
  ok: boolean;
  /** From the first connection to the complete response (HTTP) or to the connection (TCP); null when none was made. */
  responseTimeMs: number | null;
  statusCode: number | null;
  error: string | null;
  /** The address connected to (the last one, after redirects). */
  address: string | null;
}

export interface HttpCheck {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | null;
  expectedStatus: string;
  keyword: string | null;
  invertKeyword: boolean;
  timeoutMs: number;
  followRedirects: boolean;
  ignoreTlsErrors: boolean;
}

export interface CheckContext {
  policy: CheckAddressPolicy;
  tenantId: string;
  /** Aborts the check (the node is stopping). */
  signal?: AbortSignal;
}

/** Body bytes read for the keyword (and read at most). */
export const maxBodyBytes = 1 << 20;
export const maxRedirects = 5;

/** Whether `code` is one of `expected` (`200-299`, `200,301-302`). */
export function statusAccepted(expected: string, code: number): boolean {
  return expected.split(',').some((part) => {
    const [from, to] = part.split('-').map(Number);
    return to === undefined ? code === from : code >= from && code <= to;
  });
}

const tlsReasons: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'the chain ends in an untrusted self-signed certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the certificate’s issuer is not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the certificate’s issuer is not trusted',
  CERT_HAS_EXPIRED: 'the certificate has expired',
  CERT_NOT_YET_VALID: 'the certificate is not valid yet',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate does not match the host name',
};

/** One line a user can act on, from a socket or TLS error. */
export function describeError(error: unknown, target: string): string {
  const e = error as NodeJS.ErrnoException & { reason?: string };
  if (e instanceof CheckBlockedError) return e.message;
  const code = e?.code ?? '';
  if (tlsReasons[code]) return `TLS: ${tlsReasons[code]} (${code})`;
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused by ${target}`;
    case 'ECONNRESET':
      return `connection reset by ${target}`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${target} is unreachable`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${target} could not be resolved`;
    case 'HPE_INVALID_CONSTANT':
    case 'HPE_INVALID_STATUS':
      return `${target} did not answer with HTTP`;
  }
  const message = e?.message ?? String(error);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

/** A promise-shaped deadline for one check: `expired` rejects when the time is up or the signal aborts. */
function deadline(timeoutMs: number, signal?: AbortSignal) {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    onAbort = () => reject(new Error('the check was cancelled'));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  expired.catch(() => {});
  return {
    expired,
    clear: () => {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    },
  };
}

const pinnedLookup =
  (address: string): LookupFunction =>
  (_host, options, callback) => {
    const family = isIP(address);
    if ((options as { all?: boolean }).all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };

interface HopResult {
  status: number;
  location: string | undefined;
  body: Buffer;
}

/** One request to a checked address; resolves with the status and the first maxBodyBytes of the body. */
function requestOnce(
  target: URL,
  address: string,
  check: HttpCheck,
  method: string,
  body: string | null,
  collectBody: boolean,
  onRequest: (r: http.ClientRequest) => void,
) {
  const client = target.protocol === 'https:' ? https : http;
  const host = bareHost(target.hostname);
  return new Promise<HopResult>((resolve, reject) => {
    const request = client.request(
      target,
      {
        method,
        headers: { 'user-agent': 'itops-endpoint-check/1', connection: 'close', ...check.headers },
        lookup: pinnedLookup(address),
        agent: false,
        servername: isIP(host) ? undefined : host,
        rejectUnauthorized: !check.ignoreTlsErrors,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => resolve({ status: response.statusCode ?? 0, location: response.headers.location, body: Buffer.concat(chunks) });
        response.on('data', (chunk: Buffer) => {
          if (size >= maxBodyBytes) return;
          size += chunk.length;
          if (collectBody) chunks.push(chunk);
          if (size >= maxBodyBytes) {
            // Enough to judge; the time to here is the response time.
            response.destroy();
            done();
          }
        });
        response.on('end', done);
        response.on('error', reject);
      },
    );
    onRequest(request);
    request.on('error', reject);
    request.end(body ?? undefined);
  });
}

/** An HTTP(S) check: status, keyword and redirects, every hop through the address policy, all within the timeout. */
export async function checkHttp(check: HttpCheck, context: CheckContext): Promise<CheckOutcome> {
  const limit = deadline(check.timeoutMs, context.signal);
  const requests: http.ClientRequest[] = [];
  let address: string | null = null;
  let started: number | null = null;
  let target = new URL(check.url);
  try {
    let method = check.method;
    let body = check.body;
    for (let hop = 0; ; hop++) {
      address = await Promise.race([resolveCheckTarget(context.policy, context.tenantId, target.hostname), limit.expired]);
      started ??= performance.now();
      const result = await Promise.race([requestOnce(target, address, check, method, body, check.keyword !== null, (r) => requests.push(r)), limit.expired]);
      if (check.followRedirects && result.status >= 300 && result.status < 400 && result.location) {
        if (hop >= maxRedirects) return failed(`more than ${maxRedirects} redirects`, started, result.status, address);
        target = new URL(result.location, target);
        if (target.protocol !== 'http:' && target.protocol !== 'https:')
          return failed(`redirected to a ${target.protocol} URL`, started, result.status, address);
        if (result.status === 303 || ((result.status === 301 || result.status === 302) && method === 'POST')) {
          method = 'GET';
          body = null;
        }
        continue;
      }
      const responseTimeMs = Math.round(performance.now() - started);
      if (!statusAccepted(check.expectedStatus, result.status)) {
        return { ok: false, responseTimeMs, statusCode: result.status, error: `status ${result.status}, expected ${check.expectedStatus}`, address };
      }
      if (check.keyword !== null) {
        const found = result.body.toString('utf8').includes(check.keyword);
        if (found === check.invertKeyword) {
          const error = check.invertKeyword ? `the response contains "${check.keyword}"` : `"${check.keyword}" is not in the response`;
          return { ok: false, responseTimeMs, statusCode: result.status, error, address };
        }
      }
      return { ok: true, responseTimeMs, statusCode: result.status, error: null, address };
    }
  } catch (error) {
    return failed(describeError(error, target.host), started, null, address);
  } finally {
    limit.clear();
    for (const request of requests) request.destroy();
  }
}

function failed(error: string, started: number | null, statusCode: number | null, address: string | null): CheckOutcome {
  // A connection that never completed has no response time.
  return { ok: false, responseTimeMs: statusCode !== null && started !== null ? Math.round(performance.now() - started) : null, statusCode, error, address };
}

/** A TCP check: the connection opens within the timeout. */
export async function checkTcp(target: { host: string; port: number; timeoutMs: number }, context: CheckContext): Promise<CheckOutcome> {
  const limit = deadline(target.timeoutMs, context.signal);
  let socket: net.Socket | undefined;
  let address: string | null = null;
  const shown = `${target.host}:${target.port}`;
  try {
    address = await Promise.race([resolveCheckTarget(context.policy, context.tenantId, target.host), limit.expired]);
    const started = performance.now();
    await Promise.race([
      new Promise<void>((resolve, reject) => {
        socket = net.connect({ host: address as string, port: target.port });
        socket.once('connect', () => resolve());
        socket.once('error', reject);
      }),
      limit.expired,
    ]);
    return { ok: true, responseTimeMs: Math.round(performance.now() - started), statusCode: null, error: null, address };
  } catch (error) {
    return { ok: false, responseTimeMs: null, statusCode: null, error: describeError(error, shown), address };
  } finally {
    limit.clear();
    (socket as net.Socket | undefined)?.destroy();
  }
}
