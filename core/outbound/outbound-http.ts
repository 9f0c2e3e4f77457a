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

/**
 * Every request made on a user's behalf (webhooks, channels, workflow steps) goes through here.
 * The host is resolved once, every address is checked, and the socket connects to the checked
 * address (no second lookup, so no DNS-rebinding gap); each redirect hop is checked again; time and
 * response size are bounded. A refused request opens no socket.
 */
export class OutboundHttp implements OutboundHttpService {
  constructor(private readonly policy: OutboundPolicy) {}

  async request(url: string, options: OutboundRequest = {}): Promise<OutboundResponse> {
    let target = new URL(url);
    let method = (options.method ?? 'GET').toUpperCase();
    let body = options.body;
    for (let hop = 0; ; hop++) {
      const address = await this.check(target);
      const response = await this.send(target, address, method, options.headers ?? {}, body, options);
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

  private send(
    target: URL,
    address: string,
    method: string,
    headers: Record<string, string>,
    body: string | Buffer | undefined,
    options: OutboundRequest,
  ): Promise<OutboundResponse> {
    const pinned: LookupFunction = (_host, lookupOptions, callback) => {
      const family = isIP(address);
      if ((lookupOptions as { all?: boolean }).all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
      else callback(null, address, family);
    };
    const client = target.protocol === 'https:' ? https : http;
    const maxBytes = options.maxResponseBytes ?? 1 << 20;
    return new Promise((resolve, reject) => {
      const request = client.request(
        target,
        {
          method,
          headers: { 'user-agent': 'itops-outbound/1', ...headers },
          lookup: pinned,
          timeout: options.timeoutMs ?? 10_000,
          servername: isIP(target.hostname) ? undefined : target.hostname,
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBytes) {
              reject(new OutboundBlockedError(`the response is larger than ${maxBytes} bytes`));
              response.destroy();
              request.destroy();
              return;
            }
            chunks.push(chunk);
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks), url: target.href }));
          response.on('error', () => reject(new Error('the response was cut off')));
        },
      );
      request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeoutMs ?? 10_000} ms`)));
      request.on('error', reject);
      request.end(body);
    });
  }
}
