import { AppError, type AlertsService, type DatabaseService } from '../../../core/plugin-api/index.ts';
import type { CheckAddressPolicy } from './endpoint-address-policy.ts';
import { type EndpointColumns, type EndpointInput, type EndpointRow, endpointColumns, type Problem } from './endpoint-rows.ts';
import { type AlertToResolve, endpointAlertFingerprint, insertEndpoint, syncDerivedCertificates, updateEndpointRow } from './endpoint-store.ts';
import { resolveAll } from './endpoints.handlers.ts';

/**
 * Endpoints declared by container labels. One endpoint per container:
 *
 *   itops.endpoint.url=https://shop.example.com/health
 *   itops.endpoint.keyword=ok
 *   itops.endpoint.header.Authorization=Bearer …
 *
 * or several, each under a key of its own (letters, digits, `_`, `-`):
 *
 *   itops.endpoint.web.url=https://shop.example.com/      itops.endpoint.db.url=tcp://db:5432
 *
 * Settings: url (required), name, description, method, expected_status, keyword, invert_keyword,
 * timeout, interval (seconds), failure_threshold, follow_redirects, ignore_tls_errors,
 * monitor_certificate, enabled, header.<Header-Name>. The single form is the key `default`.
 */
export const labelPrefix = 'itops.endpoint.';
export const defaultLabelKey = 'default';

type Field = { name: keyof EndpointInput; kind: 'string' | 'integer' | 'boolean' | 'method' };

const fields: Record<string, Field> = {
  url: { name: 'url', kind: 'string' },
  name: { name: 'name', kind: 'string' },
  description: { name: 'description', kind: 'string' },
  method: { name: 'method', kind: 'method' },
  expected_status: { name: 'expectedStatus', kind: 'string' },
  keyword: { name: 'keyword', kind: 'string' },
  invert_keyword: { name: 'invertKeyword', kind: 'boolean' },
  timeout: { name: 'timeoutSeconds', kind: 'integer' },
  interval: { name: 'intervalSeconds', kind: 'integer' },
  failure_threshold: { name: 'failureThreshold', kind: 'integer' },
  follow_redirects: { name: 'followRedirects', kind: 'boolean' },
  ignore_tls_errors: { name: 'ignoreTlsErrors', kind: 'boolean' },
  monitor_certificate: { name: 'monitorCertificate', kind: 'boolean' },
  enabled: { name: 'enabled', kind: 'boolean' },
};

const limits: Partial<Record<keyof EndpointInput, [number, number]>> = {
  timeoutSeconds: [1, 60],
  intervalSeconds: [10, 86_400],
  failureThreshold: [1, 100],
};
const methods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const expectedStatus = /^[1-5][0-9]{2}(-[1-5][0-9]{2})?(,[1-5][0-9]{2}(-[1-5][0-9]{2})?)*$/;
const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
const labelKey = /^[a-z0-9][a-z0-9_-]{0,62}$/i;

export interface LabelEndpoint {
  key: string;
  input: EndpointInput;
}

/** Parses a container's labels into endpoint settings; problems name the label. Other labels are ignored. */
export function endpointsFromLabels(labels: Record<string, string>, containerName: string): { endpoints: LabelEndpoint[]; problems: Problem[] } {
  const groups = new Map<string, { input: EndpointInput; headers: Record<string, string> }>();
  const problems: Problem[] = [];
  const group = (key: string) => {
    let g = groups.get(key);
    if (!g) {
      g = { input: {}, headers: {} };
      groups.set(key, g);
    }
    return g;
  };
  for (const [label, raw] of Object.entries(labels)) {
    if (!label.startsWith(labelPrefix) || typeof raw !== 'string') continue;
    const rest = label.slice(labelPrefix.length);
    const [first, ...others] = rest.split('.');
    const single = first in fields || first === 'header';
    const key = single ? defaultLabelKey : first;
    const path = single ? rest : others.join('.');
    if (!single && !labelKey.test(key)) {
      problems.push({ path: label, message: 'is not an itops.endpoint setting, nor itops.endpoint.<key>.<setting> with a key of letters, digits, _ and -' });
      continue;
    }
    const value = raw.trim();
    const g = group(key);
    if (path.startsWith('header.')) {
      const name = path.slice('header.'.length);
      if (!headerName.test(name) || value.length > 4096) problems.push({ path: label, message: 'must name an HTTP header and hold at most 4096 characters' });
      else g.headers[name] = value;
      continue;
    }
    const field = fields[path];
    if (!field) {
      problems.push({ path: label, message: `unknown setting; use one of ${Object.keys(fields).join(', ')}, header.<Name>` });
      continue;
    }
    const set = (v: unknown) => {
      (g.input as Record<string, unknown>)[field.name] = v;
    };
    switch (field.kind) {
      case 'boolean': {
        const b = /^(true|yes|on|1)$/i.test(value) ? true : /^(false|no|off|0)$/i.test(value) ? false : undefined;
        if (b === undefined) problems.push({ path: label, message: 'must be true or false' });
        else set(b);
        break;
      }
      case 'integer': {
        const n = Number(value);
        const [min, max] = limits[field.name] ?? [0, Number.MAX_SAFE_INTEGER];
        if (!/^\d+$/.test(value) || n < min || n > max) problems.push({ path: label, message: `must be a whole number from ${min} to ${max}` });
        else set(n);
        break;
      }
      case 'method':
        if (!methods.has(value.toUpperCase())) problems.push({ path: label, message: `must be one of ${[...methods].join(', ')}` });
        else set(value.toUpperCase());
        break;
      default:
        if (value === '' || value.length > (field.name === 'url' ? 2048 : field.name === 'description' ? 2000 : 500)) {
          problems.push({ path: label, message: 'must not be empty or too long' });
        } else if (field.name === 'expectedStatus' && !expectedStatus.test(value)) {
          problems.push({ path: label, message: 'must list status codes and ranges, e.g. 200-299 or 200,301-302' });
        } else set(value);
    }
  }
  const endpoints: LabelEndpoint[] = [];
  for (const [key, g] of groups) {
    const prefix = key === defaultLabelKey ? labelPrefix : `${labelPrefix}${key}.`;
    if (!g.input.url) {
      problems.push({ path: `${prefix}url`, message: 'is missing: an endpoint needs a URL' });
      continue;
    }
    const name = g.input.name ?? (key === defaultLabelKey ? containerName : `${containerName} ${key}`);
    endpoints.push({ key, input: { ...g.input, name: name.slice(0, 200), ...(Object.keys(g.headers).length > 0 ? { headers: g.headers } : {}) } });
  }
  return { endpoints: endpoints.sort((a, b) => a.key.localeCompare(b.key)), problems };
}

/** Objects compared whatever their key order (jsonb reorders keys). */
const canonical = (value: unknown): string =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? JSON.stringify(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    : JSON.stringify(value ?? null);

const same = (row: EndpointRow, columns: EndpointColumns) =>
  (Object.keys(columns) as (keyof EndpointColumns)[]).every((k) => canonical(row[k]) === canonical(columns[k]));

const labelOfField = Object.fromEntries(Object.entries(fields).map(([label, field]) => [field.name, label]));

export interface LabelSyncResult {
  created: string[];
  updated: string[];
  unchanged: string[];
  deleted: string[];
  /** Labels that could not be used; an endpoint with a problem keeps its previous settings. */
  problems: Problem[];
}

/**
 * Brings a container's label-declared endpoints in line with its labels, in one transaction:
 * creates the new ones, updates changed ones (only those: a sync with the same labels changes
 * nothing and does not re-check), deletes those whose labels are gone, and keeps the derived
 * certificate monitors in step. Call it whenever a container's labels are read (start, inspect).
 * Nothing calls it yet: container discovery is part 1 of the containers plugin.
 */
export async function upsertEndpointsFromLabels(
  deps: { database: DatabaseService; alerts: AlertsService; policy: CheckAddressPolicy; clock: () => Date; onDue?: () => void },
  container: { tenantId: string; containerId: string; containerName: string; labels: Record<string, string> },
): Promise<LabelSyncResult> {
  const { tenantId, containerId } = container;
  const parsed = endpointsFromLabels(container.labels, container.containerName);
  const result: LabelSyncResult = { created: [], updated: [], unchanged: [], deleted: [], problems: [...parsed.problems] };
  const failedKeys = new Set(
    parsed.problems
      .map((p) => p.path.slice(labelPrefix.length).split('.')[0])
      .map((first) => (first in fields || first === 'header' ? defaultLabelKey : first)),
  );
  await deps.database.forTenant(tenantId).transaction(async (tx) => {
    const { query } = tx;
    const now = deps.clock();
    const existing = await query<EndpointRow>("SELECT * FROM endpoint WHERE container_id = ? AND source = 'labels' ORDER BY label_key FOR UPDATE", [
      containerId,
    ]);
    const byKey = new Map(existing.map((row) => [row.label_key as string, row]));
    const resolve: AlertToResolve[] = [];
    for (const { key, input } of parsed.endpoints) {
      if (failedKeys.has(key)) continue;
      let columns: EndpointColumns;
      try {
        columns = endpointColumns(undefined, input, deps.policy, tenantId, `${labelPrefix}${key === defaultLabelKey ? '' : `${key}.`}`);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        const details = (error.details ?? []) as Problem[];
        // `itops.endpoint.web./timeoutSeconds` → `itops.endpoint.web.timeout`
        result.problems.push(...details.map((d) => ({ path: d.path.replace(/\.\/(\w+)/, (_, f: string) => `.${labelOfField[f] ?? f}`), message: d.message })));
        continue;
      }
      const current = byKey.get(key);
      if (!current) {
        const row = await insertEndpoint(query, tenantId, columns, { source: 'labels', containerId, labelKey: key }, now);
        result.created.push(row.id);
      } else if (same(current, columns)) {
        result.unchanged.push(current.id);
      } else {
        resolve.push(...(await updateEndpointRow(query, current, columns, now)).resolve);
        result.updated.push(current.id);
      }
    }
    const declared = new Set(parsed.endpoints.map((e) => e.key));
    for (const row of existing) {
      if (declared.has(row.label_key as string) || failedKeys.has(row.label_key as string)) continue;
      await query('DELETE FROM endpoint WHERE id = ?', [row.id]);
      result.deleted.push(row.id);
      if (row.status === 'down') resolve.push({ tenantId, fingerprint: endpointAlertFingerprint(row.id) });
    }
    resolve.push(...(await syncDerivedCertificates(query, tenantId, now)));
    await resolveAll(tx, deps.alerts, resolve);
  });
  if (result.created.length + result.updated.length > 0) deps.onDue?.();
  return result;
}
