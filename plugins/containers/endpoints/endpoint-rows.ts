import { AppError } from '../../../core/plugin-api/index.ts';
import { bareHost, type CheckAddressPolicy, literalHostProblem } from './endpoint-address-policy.ts';
import type { EndpointStatus } from './endpoint-state.ts';

/** An `endpoint` row as PostgreSQL returns it. */
export interface EndpointRow {
  id: string;
  tenant_id: string;
  name: string;
  description: string | null;
  tags: string[];
  url: string;
  scheme: 'http' | 'https' | 'tcp';
  host: string;
  port: number;
  method: string;
  expected_status: string;
  keyword: string | null;
  invert_keyword: boolean;
  headers: Record<string, string>;
  body: string | null;
  timeout_seconds: number;
  interval_seconds: number;
  phase_seconds: number;
  failure_threshold: number;
  follow_redirects: boolean;
  ignore_tls_errors: boolean;
  monitor_certificate: boolean;
  enabled: boolean;
  source: 'api' | 'labels';
  container_id: string | null;
  label_key: string | null;
  status: EndpointStatus;
  status_changed_at: Date;
  consecutive_failures: number;
  failing_since: Date | null;
  last_check_at: Date | null;
  last_check_ok: boolean | null;
  last_response_ms: number | null;
  last_status_code: number | null;
  last_error: string | null;
  next_check_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** What a create, an update or a container's labels say about an endpoint (API field names). */
export interface EndpointInput {
  name?: string;
  description?: string | null;
  tags?: string[];
  url?: string;
  method?: string;
  expectedStatus?: string;
  keyword?: string | null;
  invertKeyword?: boolean;
  headers?: Record<string, string>;
  body?: string | null;
  timeoutSeconds?: number;
  intervalSeconds?: number;
  failureThreshold?: number;
  followRedirects?: boolean;
  ignoreTlsErrors?: boolean;
  monitorCertificate?: boolean;
  enabled?: boolean;
}

export const endpointDefaults = {
  method: 'GET',
  expectedStatus: '200-299',
  timeoutSeconds: 10,
  intervalSeconds: 60,
  failureThreshold: 3,
};

export const redacted = '<redacted>';
const sensitiveHeader = /^(authorization|proxy-authorization|cookie)$|token|secret|key|auth|password|session/i;

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/** The API's view of an endpoint; credential-like header values are not shown. */
export function endpointView(row: EndpointRow, certificateId: string | null = null) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    tags: row.tags ?? [],
    url: row.url,
    type: row.scheme,
    host: row.host,
    port: row.port,
    method: row.method,
    expectedStatus: row.expected_status,
    keyword: row.keyword,
    invertKeyword: row.invert_keyword,
    headers: Object.fromEntries(Object.entries(row.headers ?? {}).map(([name, value]) => [name, sensitiveHeader.test(name) ? redacted : value])),
    body: row.body,
    timeoutSeconds: row.timeout_seconds,
    intervalSeconds: row.interval_seconds,
    failureThreshold: row.failure_threshold,
    followRedirects: row.follow_redirects,
    ignoreTlsErrors: row.ignore_tls_errors,
    monitorCertificate: row.monitor_certificate,
    enabled: row.enabled,
    source: row.source,
    containerId: row.container_id,
    certificateId,
    status: row.status,
    statusChangedAt: iso(row.status_changed_at),
    consecutiveFailures: row.consecutive_failures,
    lastCheckAt: iso(row.last_check_at),
    lastCheckOk: row.last_check_ok,
    lastResponseTimeMs: row.last_response_ms,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    nextCheckAt: iso(row.next_check_at),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export interface Problem {
  path: string;
  message: string;
}

export function invalid(problems: Problem[]): never {
  throw new AppError('validation_failed', 'The request does not match the contract', { details: problems });
}

/** The target of a URL: scheme, bare host and port (defaults 80/443; required for tcp). */
export function parseTarget(text: string, at = '/body/url'): { scheme: 'http' | 'https' | 'tcp'; host: string; port: number } | Problem {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { path: at, message: 'is not a valid URL' };
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (scheme !== 'http' && scheme !== 'https' && scheme !== 'tcp') return { path: at, message: 'must be an http://, https:// or tcp:// URL' };
  if (url.username || url.password) return { path: at, message: 'must not carry credentials; send them in headers' };
  const host = bareHost(url.hostname);
  if (!host) return { path: at, message: 'must name a host' };
  if (scheme === 'tcp') {
    if (!url.port) return { path: at, message: 'a tcp:// URL needs a port, e.g. tcp://db.internal:5432' };
    if ((url.pathname && url.pathname !== '/') || url.search || url.hash) return { path: at, message: 'a tcp:// URL is only tcp://host:port' };
  }
  return { scheme, host, port: url.port ? Number(url.port) : scheme === 'https' ? 443 : 80 };
}

const httpOnly: (keyof EndpointInput)[] = [
  'method',
  'expectedStatus',
  'keyword',
  'invertKeyword',
  'headers',
  'body',
  'followRedirects',
  'ignoreTlsErrors',
  'monitorCertificate',
];

/**
 * The columns a create, an update or a label sync writes, checked beyond what the contract's schema
 * says: the URL's shape, HTTP-only settings on a TCP endpoint, the timeout inside the interval, and
 * a literal address the workspace's checks may not reach.
 */
export function endpointColumns(current: EndpointRow | undefined, body: EndpointInput, policy: CheckAddressPolicy, tenantId: string, at = '/body') {
  const problems: Problem[] = [];
  const url = (body.url ?? current?.url ?? '').trim();
  const target = parseTarget(url, `${at}/url`);
  if ('message' in target) invalid([target]);
  const blocked = literalHostProblem(policy, tenantId, target.host);
  if (blocked) problems.push({ path: `${at}/url`, message: `checks may not reach this address: ${blocked}` });
  if (target.scheme === 'tcp') {
    for (const field of httpOnly) {
      if (body[field] !== undefined && body[field] !== null) problems.push({ path: `${at}/${field}`, message: 'applies to HTTP(S) endpoints only' });
    }
  }
  let headers = body.headers ?? current?.headers ?? {};
  if (body.headers) {
    headers = Object.fromEntries(
      Object.entries(body.headers).map(([name, value]) => {
        if (value !== redacted) return [name, value];
        const kept = Object.entries(current?.headers ?? {}).find(([n]) => n.toLowerCase() === name.toLowerCase());
        if (!kept) problems.push({ path: `${at}/headers/${name}`, message: `${redacted} keeps a stored value; this header has none` });
        return [name, kept?.[1] ?? ''];
      }),
    );
  }
  const interval = body.intervalSeconds ?? current?.interval_seconds ?? endpointDefaults.intervalSeconds;
  const timeout = body.timeoutSeconds ?? current?.timeout_seconds ?? Math.min(endpointDefaults.timeoutSeconds, interval - 1);
  if (timeout >= interval) problems.push({ path: `${at}/timeoutSeconds`, message: `must be shorter than the interval (${interval} s)` });
  const name = (body.name ?? current?.name ?? '').trim();
  if (!name) problems.push({ path: `${at}/name`, message: 'must not be empty' });
  if (problems.length > 0) invalid(problems);
  const isHttp = target.scheme !== 'tcp';
  const pick = <T>(value: T | undefined, stored: T | undefined, fallback: T) => (value !== undefined ? value : stored !== undefined ? stored : fallback);
  return {
    name,
    description: pick(body.description, current?.description, null),
    tags: pick(body.tags, current?.tags, []),
    url,
    scheme: target.scheme,
    host: target.host,
    port: target.port,
    method: isHttp ? pick(body.method, current?.method, endpointDefaults.method) : 'GET',
    expected_status: isHttp ? pick(body.expectedStatus, current?.expected_status, endpointDefaults.expectedStatus) : endpointDefaults.expectedStatus,
    keyword: isHttp ? pick(body.keyword, current?.keyword, null) : null,
    invert_keyword: isHttp ? pick(body.invertKeyword, current?.invert_keyword, false) : false,
    headers: isHttp ? headers : {},
    body: isHttp ? pick(body.body, current?.body, null) : null,
    timeout_seconds: timeout,
    interval_seconds: interval,
    failure_threshold: pick(body.failureThreshold, current?.failure_threshold, endpointDefaults.failureThreshold),
    follow_redirects: isHttp ? pick(body.followRedirects, current?.follow_redirects, true) : true,
    ignore_tls_errors: isHttp ? pick(body.ignoreTlsErrors, current?.ignore_tls_errors, false) : false,
    monitor_certificate: isHttp ? pick(body.monitorCertificate, current?.monitor_certificate, true) : false,
    enabled: pick(body.enabled, current?.enabled, true),
  };
}

export type EndpointColumns = ReturnType<typeof endpointColumns>;

/** Whether a change of columns changes what a check does (and so resets the failure streak). */
export function checkChanged(current: EndpointRow, next: EndpointColumns): boolean {
  const keys = ['url', 'method', 'expected_status', 'keyword', 'invert_keyword', 'body', 'timeout_seconds', 'follow_redirects', 'ignore_tls_errors'] as const;
  return keys.some((k) => current[k] !== next[k]) || JSON.stringify(current.headers ?? {}) !== JSON.stringify(next.headers);
}
