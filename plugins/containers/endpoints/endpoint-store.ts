import { randomInt, randomUUID } from 'node:crypto';
import { certificateAlertFingerprint } from '../certificates/certificate-checks.ts';
import type { EndpointColumns, EndpointRow } from './endpoint-rows.ts';
import { checkChanged } from './endpoint-rows.ts';

/** Raw SQL with `?` placeholders: `database.query`, or a transaction's `query`. */
export type Sql = <T = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;

export const certificateDefaults = { intervalSeconds: 21_600, timeoutSeconds: 10, warningDays: [30, 14, 7, 3, 1] };

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

/** A phase inside the interval, so monitors with the same interval spread over it. */
export const randomPhase = (intervalSeconds: number) => randomInt(0, intervalSeconds);

export interface EndpointOrigin {
  source: 'api' | 'labels';
  containerId?: string | null;
  labelKey?: string | null;
}

/** An endpoint's settings as both statements write them, in this order (headers as jsonb). */
const settingNames = [
  'name',
  'description',
  'tags',
  'url',
  'scheme',
  'host',
  'port',
  'method',
  'expected_status',
  'keyword',
  'invert_keyword',
  'headers',
  'body',
  'timeout_seconds',
  'interval_seconds',
  'phase_seconds',
  'failure_threshold',
  'follow_redirects',
  'ignore_tls_errors',
  'monitor_certificate',
  'enabled',
] as const satisfies readonly (keyof EndpointColumns | 'phase_seconds')[];
const placeholder = (name: string) => (name === 'headers' ? '?::jsonb' : '?');

function settingValues(columns: EndpointColumns, phaseSeconds: number): unknown[] {
  return settingNames.map((name) => (name === 'phase_seconds' ? phaseSeconds : name === 'headers' ? JSON.stringify(columns.headers) : columns[name]));
}

const insertSql = `INSERT INTO endpoint (id, tenant_id, ${settingNames.join(', ')}, source, container_id, label_key, status, status_changed_at, next_check_at,
    created_at, updated_at)
  VALUES (?, ?, ${settingNames.map(placeholder).join(', ')}, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`;

const updateSql = `UPDATE endpoint SET ${settingNames.map((name) => `${name} = ${placeholder(name)}`).join(', ')},
    status = ?, status_changed_at = ?, consecutive_failures = ?, failing_since = ?, next_check_at = ?, updated_at = ?
  WHERE id = ? RETURNING *`;

/** Inserts an endpoint, due at once (or paused). */
export async function insertEndpoint(sql: Sql, tenantId: string, columns: EndpointColumns, origin: EndpointOrigin, now: Date): Promise<EndpointRow> {
  const [row] = await sql<EndpointRow>(insertSql, [
    randomUUID(),
    tenantId,
    ...settingValues(columns, randomPhase(columns.interval_seconds)),
    origin.source,
    origin.containerId ?? null,
    origin.labelKey ?? null,
    columns.enabled ? 'pending' : 'paused',
    now.toISOString(),
    columns.enabled ? now.toISOString() : null,
    now.toISOString(),
    now.toISOString(),
  ]);
  return row;
}

/**
 * Writes new settings (the caller holds the row lock). An enabled endpoint is checked again at
 * once; a changed check starts a new failure streak; disabling pauses it, enabling makes it pending.
 * Returns the row, and the alert to resolve in the same transaction when a down endpoint was paused.
 */
export async function updateEndpointRow(
  sql: Sql,
  current: EndpointRow,
  columns: EndpointColumns,
  now: Date,
): Promise<{ row: EndpointRow; resolve: AlertToResolve[] }> {
  let status = current.status;
  let reason: string | null = null;
  if (!columns.enabled && current.enabled) {
    status = 'paused';
    reason = 'Disabled';
  } else if (columns.enabled && !current.enabled) {
    status = 'pending';
    reason = 'Enabled';
  }
  const resetStreak = status !== current.status || checkChanged(current, columns);
  const phase = columns.interval_seconds === current.interval_seconds ? current.phase_seconds : current.phase_seconds % columns.interval_seconds;
  const [row] = await sql<EndpointRow>(updateSql, [
    ...settingValues(columns, phase),
    status,
    status !== current.status ? now.toISOString() : iso(new Date(current.status_changed_at)),
    resetStreak ? 0 : current.consecutive_failures,
    resetStreak ? null : iso(current.failing_since && new Date(current.failing_since)),
    columns.enabled ? now.toISOString() : null,
    now.toISOString(),
    current.id,
  ]);
  if (status !== current.status) {
    await sql('INSERT INTO endpoint_flip (tenant_id, endpoint_id, at, from_status, to_status, reason) VALUES (?, ?, ?, ?, ?, ?)', [
      current.tenant_id,
      current.id,
      now.toISOString(),
      current.status,
      status,
      reason,
    ]);
  }
  const resolve = current.status === 'down' && status !== 'down' ? [{ tenantId: current.tenant_id, fingerprint: endpointAlertFingerprint(current.id) }] : [];
  return { row, resolve };
}

/** A core alert to resolve in the transaction that removes its row or ends its outage. */
export interface AlertToResolve {
  tenantId: string;
  fingerprint: string;
}

export const endpointAlertFingerprint = (endpointId: string) => `endpoint-down:${endpointId}`;

/**
 * Keeps the certificate monitors derived from HTTPS endpoints in line with them: one per host and
 * port (the host is the server name) of an endpoint with monitorCertificate, due at once when new;
 * derived monitors no endpoint uses any more are deleted. A manual monitor of the same target is
 * left as it is. Returns the alerts of deleted monitors to resolve. Runs in the workspace's
 * transaction (`sql` of a `forTenant` handle): row-level security keeps it to that workspace's rows.
 */
export async function syncDerivedCertificates(sql: Sql, tenantId: string, now: Date): Promise<AlertToResolve[]> {
  await sql(
    `INSERT INTO certificate (id, tenant_id, name, host, port, server_name, source, warning_days, interval_seconds, timeout_seconds, phase_seconds,
       validate, next_check_at, created_at, updated_at)
     SELECT gen_random_uuid(), e.tenant_id, e.host || ':' || e.port, e.host, e.port, e.host, 'endpoint', ?::int[], ?, ?, floor(random() * ?)::int,
       NOT bool_and(e.ignore_tls_errors), ?, ?, ?
     FROM endpoint e WHERE e.scheme = 'https' AND e.monitor_certificate
     GROUP BY e.tenant_id, e.host, e.port
     ON CONFLICT (tenant_id, host, port, server_name) DO NOTHING`,
    [
      `{${certificateDefaults.warningDays.join(',')}}`,
      certificateDefaults.intervalSeconds,
      certificateDefaults.timeoutSeconds,
      certificateDefaults.intervalSeconds,
      now.toISOString(),
      now.toISOString(),
      now.toISOString(),
    ],
  );
  const removed = await sql<{ id: string; alert_state: string }>(
    `DELETE FROM certificate c WHERE c.source = 'endpoint' AND NOT EXISTS (
       SELECT 1 FROM endpoint e WHERE e.tenant_id = c.tenant_id AND e.scheme = 'https' AND e.monitor_certificate
         AND e.host = c.host AND e.port = c.port AND e.host = c.server_name)
     RETURNING id, alert_state`,
  );
  return removed.filter((r) => r.alert_state !== 'ok').map((r) => ({ tenantId, fingerprint: certificateAlertFingerprint(r.id, r.alert_state) }));
}
