import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import type { OutboundHttpService, OutboundRequest, OutboundResponse } from '../plugin-api/index.ts';
import { addressVerdict } from './address-policy.ts';

export class OutboundBlockedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutboundBlockedError';
  }
}

export interface OutboundPolicy {
  /** Host names that may be private (in-cluster targets); compared case-insensitively. */
  hostAllowlist: string[];
  /** Development only: lift the private-range block entirely. */
  allowPrivate: boolean;
  /** Resolver (tests inject one); defaults to the system's. */
  resolve?: (host: string) => Promise<string[]>;
}

const systemResolve = async (host: string) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** Rejects with the signal's reason once it aborts; `promise` settles it otherwise. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Every request made on a user's behalf (webhooks, channels, workflow steps) goes through here.
 * The host is resolved once, every address is checked, and the socket connects to the checked
 * address (no second lookup, so no DNS-rebinding gap); each redirect hop is checked again; the
 * response size is bounded, and so is the time: `timeoutMs` is a deadline for the whole exchange
 * (lookups, connects, headers and bodies of every hop), not an idle timeout, so a receiver that
 * trickles a byte now and then cannot hold a delivery slot. A refused request opens no socket.
 */
export class OutboundHttp implements OutboundHttpService {
  constructor(private readonly policy: OutboundPolicy) {}

  async request(url: string, options: OutboundRequest = {}): Promise<OutboundResponse> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new Error(`no complete answer within ${timeoutMs} ms`)), timeoutMs);
    const cancel = () => deadline.abort(new Error('the request was cancelled'));
    if (options.signal?.aborted) cancel();
    options.signal?.addEventListener('abort', cancel, { once: true });
    try {
      let target = new URL(url);
      let method = (options.method ?? 'GET').toUpperCase();
      let body = options.body;
      for (let hop = 0; ; hop++) {
        const address = await untilAborted(this.check(target), deadline.signal);
        const response = await this.send(target, address, method, options.headers ?? {}, body, options, deadline.signal);
        const location = response.headers.location;
        if (response.status >= 300 && response.status < 400 && typeof location === 'string') {
          if (hop >= (options.maxRedirects ?? 5)) throw new OutboundBlockedError(`too many redirects (more than ${options.maxRedirects ?? 5})`);
          target = new URL(location, target);
          if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
            method = 'GET';
            body = undefined;
          }
          continue;
        }
        return response;
      }
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', cancel);
    }
  }

  /** Resolves and checks the target; returns the address to connect to, or throws without connecting. */
  async check(target: URL): Promise<string> {
    if (target.protocol !== 'http:' && target.protocol !== 'https:')
      throw new OutboundBlockedError(`the ${target.protocol.replace(':', '')} scheme is not allowed; use http or https`);
    if (target.username || target.password) throw new OutboundBlockedError('credentials in the URL are not allowed');
    const host = target.hostname.replace(/^\[|\]$/g, '');
    const allowlisted = this.policy.allowPrivate || this.policy.hostAllowlist.some((h) => h.toLowerCase() === host.toLowerCase());
    const addresses = isIP(host)
      ? [host]
      : await (this.policy.resolve ?? systemResolve)(host).catch(() => {
          throw new OutboundBlockedError(`${host} could not be resolved`);
        });
    if (addresses.length === 0) throw new OutboundBlockedError(`${host} has no address`);
    if (!allowlisted) {
      for (const address of addresses) {
        const verdict = addressVerdict(address);
        if (!verdict.allowed) throw new OutboundBlockedError(`${host} is not allowed: ${verdict.reason} (see ITOPS_SECURITY_WEBHOOK_HOST_ALLOWLIST)`);
      }
    }
    return addresses[0];
  }

  /** One hop: settles once with the whole response, or with the first error; the deadline ends it wherever it is. */
  private send(
    target: URL,
    address: string,
    method: string,
    headers: Record<string, string>,
    body: string | Buffer | undefined,
    options: OutboundRequest,
    deadline: AbortSignal,
  ): Promise<OutboundResponse> {
    const pinned: LookupFunction = (_host, lookupOptions, callback) => {
      const family = isIP(address);
      if ((lookupOptions as { all?: boolean }).all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
      else callback(null, address, family);
    };
    const client = target.protocol === 'https:' ? https : http;
    const maxBytes = options.maxResponseBytes ?? 1 << 20;
    if (deadline.aborted) return Promise.reject(deadline.reason);
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (error: Error | null, response?: OutboundResponse) => {
        if (settled) return;
        settled = true;
        deadline.removeEventListener('abort', onDeadline);
        if (error) {
          request.destroy();
          reject(error);
        } else resolve(response as OutboundResponse);
      };
      const onDeadline = () => settle(deadline.reason);
      const request = client.request(
        target,
        {
          method,
          headers: { 'user-agent': 'itops-outbound/1', ...headers },
          lookup: pinned,
          servername: isIP(target.hostname) ? undefined : target.hostname,
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBytes) return settle(new OutboundBlockedError(`the response is larger than ${maxBytes} bytes`));
            chunks.push(chunk);
          });
          response.on('end', () =>
            settle(null, { status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks), url: target.href }),
          );
          response.on('error', () => settle(new Error('the response was cut off')));
        },
      );
      deadline.addEventListener('abort', onDeadline, { once: true });
      request.on('error', (error) => settle(error));
      request.end(body);
    });
  }
}
