import type { DatabaseService, WorkspaceGauge } from '../../../core/plugin-api/index.ts';

/**
 * Monitors per kind and workspace that `/metrics` describes (first by name): about ten series each,
 * so a scrape stays within the core's 5000 series per workspace and plugin.
 */
export const maxMonitorsPerKind = 250;

const heartbeatStatuses = ['new', 'up', 'late', 'down', 'paused'];
const endpointStatuses = ['pending', 'up', 'down', 'paused'];

type Sample = WorkspaceGauge['samples'][number];
const gauge = (name: string, help: string, samples: Sample[]): WorkspaceGauge => ({ name: `itops_containers_${name}`, help, samples });
const seconds = (ms: number) => Math.max(0, ms) / 1000;

/** Per-heartbeat and per-endpoint gauges of one workspace, read at scrape time (so Prometheus can alert on them). */
export function monitorMetrics(deps: { database: DatabaseService; clock: () => Date }) {
  return async (workspace: string): Promise<WorkspaceGauge[]> => {
    const tenant = deps.database.forTenant(workspace);
    const now = deps.clock().getTime();
    const [heartbeats, endpoints] = await Promise.all([
      tenant.query<{ id: string; name: string; status: string; last_ping_at: Date | null; last_duration_ms: string | null }>(
        'SELECT id, name, status, last_ping_at, last_duration_ms FROM heartbeat ORDER BY lower(name), id LIMIT ?',
        [maxMonitorsPerKind],
      ),
      tenant.query<{ id: string; name: string; status: string; last_check_at: Date | null; last_response_ms: number | null; not_after: Date | null }>(
        `SELECT e.id, e.name, e.status, e.last_check_at, e.last_response_ms, cert.not_after
         FROM endpoint e
         LEFT JOIN LATERAL (SELECT c.not_after FROM certificate c WHERE c.host = e.host AND c.port = e.port AND c.not_after IS NOT NULL
                            ORDER BY c.not_after LIMIT 1) cert ON e.scheme = 'https'
         ORDER BY lower(e.name), e.id LIMIT ?`,
        [maxMonitorsPerKind],
      ),
    ]);
    const hb = (row: { id: string; name: string }) => ({ id: row.id, name: row.name });
    return [
      gauge(
        'heartbeat_up',
        'Whether the heartbeat is up (1) or late or down (0); absent while new or paused',
        heartbeats.filter((r) => ['up', 'late', 'down'].includes(r.status)).map((r) => ({ labels: hb(r), value: r.status === 'up' ? 1 : 0 })),
      ),
      gauge(
        'heartbeat_status',
        'The heartbeat status, one series per possible status, 1 for the current one',
        heartbeats.flatMap((r) => heartbeatStatuses.map((status) => ({ labels: { ...hb(r), status }, value: r.status === status ? 1 : 0 }))),
      ),
      gauge(
        'heartbeat_last_ping_age_seconds',
        'Seconds since the heartbeat’s last ping (absent before the first)',
        heartbeats.filter((r) => r.last_ping_at).map((r) => ({ labels: hb(r), value: seconds(now - new Date(r.last_ping_at as Date).getTime()) })),
      ),
      gauge(
        'heartbeat_last_duration_seconds',
        'Duration of the heartbeat’s last completed run (start to completion ping)',
        heartbeats.filter((r) => r.last_duration_ms !== null).map((r) => ({ labels: hb(r), value: seconds(Number(r.last_duration_ms)) })),
      ),
      gauge(
        'endpoint_up',
        'Whether the endpoint is up (1) or down (0); absent while pending or paused',
        endpoints.filter((r) => r.status === 'up' || r.status === 'down').map((r) => ({ labels: hb(r), value: r.status === 'up' ? 1 : 0 })),
      ),
      gauge(
        'endpoint_status',
        'The endpoint status, one series per possible status, 1 for the current one',
        endpoints.flatMap((r) => endpointStatuses.map((status) => ({ labels: { ...hb(r), status }, value: r.status === status ? 1 : 0 }))),
      ),
      gauge(
        'endpoint_response_time_seconds',
        'Response time of the endpoint’s last check',
        endpoints.filter((r) => r.last_response_ms !== null).map((r) => ({ labels: hb(r), value: seconds(Number(r.last_response_ms)) })),
      ),
      gauge(
        'endpoint_last_check_age_seconds',
        'Seconds since the endpoint’s last check',
        endpoints.filter((r) => r.last_check_at).map((r) => ({ labels: hb(r), value: seconds(now - new Date(r.last_check_at as Date).getTime()) })),
      ),
      gauge(
        'endpoint_certificate_days_left',
        'Days until the endpoint’s TLS certificate expires (negative once expired)',
        endpoints.filter((r) => r.not_after).map((r) => ({ labels: hb(r), value: Math.floor((new Date(r.not_after as Date).getTime() - now) / 86_400_000) })),
      ),
    ];
  };
}
