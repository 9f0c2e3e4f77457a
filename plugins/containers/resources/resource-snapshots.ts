import type { AlertsService, EventsService, Tx } from '../../../core/plugin-api/index.ts';
import type { ResourceStats } from '../runtime/runtime-adapter.ts';

export interface Reading extends ResourceStats {
  containerId: string;
}

const memoryPercent = (r: { memoryBytes: number; memoryLimitBytes: number | null }) =>
  r.memoryLimitBytes && r.memoryLimitBytes > 0 ? Math.round((r.memoryBytes / r.memoryLimitBytes) * 10_000) / 100 : null;

export const resourceAlertFingerprint = (containerId: string, metric: 'cpu' | 'memory') => `containers:container:${containerId}:${metric}`;

/**
 * Stores one snapshot round of readings in a fixed number of statements: the samples, the latest
 * reading per container with network and I/O rates since the previous one, `resource.snapshot`
 * events, and the thresholds crossed either way (`resource.alert` / `resource.recovery` with the
 * core alert raised or resolved), all in the caller's transaction.
 */
export async function storeReadings(tx: Tx, deps: { events: EventsService; alerts: AlertsService }, tenantId: string, readings: Reading[]): Promise<void> {
  if (readings.length === 0) return;
  const rows = JSON.stringify(
    readings.map((r) => ({
      container_id: r.containerId,
      at: r.at.toISOString(),
      cpu_percent: r.cpuPercent,
      memory_bytes: Math.round(r.memoryBytes),
      memory_limit_bytes: r.memoryLimitBytes,
      network_rx_bytes: Math.round(r.networkRxBytes),
      network_tx_bytes: Math.round(r.networkTxBytes),
      block_read_bytes: Math.round(r.blockReadBytes),
      block_write_bytes: Math.round(r.blockWriteBytes),
      pids: r.pids,
    })),
  );
  const columns = `container_id uuid, at timestamptz, cpu_percent real, memory_bytes bigint, memory_limit_bytes bigint, network_rx_bytes bigint,
    network_tx_bytes bigint, block_read_bytes bigint, block_write_bytes bigint, pids int`;
  const names =
    'container_id, at, cpu_percent, memory_bytes, memory_limit_bytes, network_rx_bytes, network_tx_bytes, block_read_bytes, block_write_bytes, pids';
  await tx.query(
    `INSERT INTO container_resource_sample (tenant_id, ${names}) SELECT ?, ${names} FROM jsonb_to_recordset(?::jsonb) AS x(${columns})
     ON CONFLICT (container_id, at) DO NOTHING`,
    [tenantId, rows],
  );
  // Counters that went down (a restart resets them) give no rate rather than a negative one.
  const rate = (column: string) =>
    `CASE WHEN excluded.at > l.at AND excluded.${column} >= l.${column} THEN (excluded.${column} - l.${column}) / extract(epoch FROM excluded.at - l.at) ELSE 0 END`;
  await tx.query(
    `INSERT INTO container_resource_latest AS l (tenant_id, ${names}) SELECT ?, ${names} FROM jsonb_to_recordset(?::jsonb) AS x(${columns})
     ON CONFLICT (container_id) DO UPDATE SET at = excluded.at, cpu_percent = excluded.cpu_percent, memory_bytes = excluded.memory_bytes,
       memory_limit_bytes = excluded.memory_limit_bytes, network_rx_bytes = excluded.network_rx_bytes, network_tx_bytes = excluded.network_tx_bytes,
       block_read_bytes = excluded.block_read_bytes, block_write_bytes = excluded.block_write_bytes, pids = excluded.pids,
       network_rx_per_second = ${rate('network_rx_bytes')}, network_tx_per_second = ${rate('network_tx_bytes')},
       block_read_per_second = ${rate('block_read_bytes')}, block_write_per_second = ${rate('block_write_bytes')}
     WHERE excluded.at > l.at`,
    [tenantId, rows],
  );
  await deps.events.publishMany(
    tx,
    readings.map((r) => ({
      topic: 'resource.snapshot',
      tenantId,
      payload: { containerId: r.containerId, at: r.at.toISOString(), cpuPercent: r.cpuPercent, memoryBytes: r.memoryBytes, memoryPercent: memoryPercent(r) },
    })),
  );
  await evaluateThresholds(tx, deps, tenantId, readings);
}

/** Thresholds of the containers just read, flipped where a reading crossed them; returns nothing, acts in the transaction. */
async function evaluateThresholds(tx: Tx, deps: { events: EventsService; alerts: AlertsService }, tenantId: string, readings: Reading[]) {
  const byId = new Map(readings.map((r) => [r.containerId, r]));
  const thresholds = await tx.query<{
    container_id: string;
    name: string;
    cpu_percent: number | null;
    memory_percent: number | null;
    memory_bytes: string | null;
    enabled: boolean;
    cpu_firing: boolean;
    memory_firing: boolean;
  }>(
    `SELECT a.*, c.name FROM container_resource_alert a JOIN container c ON c.id = a.container_id
     WHERE a.container_id = ANY(?::uuid[]) ORDER BY a.container_id FOR UPDATE OF a`,
    [[...byId.keys()]],
  );
  const events: { topic: string; tenantId: string; payload: unknown }[] = [];
  for (const t of thresholds) {
    const r = byId.get(t.container_id) as Reading;
    const at = r.at.toISOString();
    const checks = [
      {
        metric: 'cpu' as const,
        firing: t.cpu_firing,
        over: t.enabled && t.cpu_percent !== null && r.cpuPercent > t.cpu_percent,
        value: r.cpuPercent,
        threshold: t.cpu_percent,
      },
      {
        metric: 'memory' as const,
        firing: t.memory_firing,
        over:
          t.enabled &&
          ((t.memory_percent !== null && (memoryPercent(r) ?? 0) > t.memory_percent) || (t.memory_bytes !== null && r.memoryBytes > Number(t.memory_bytes))),
        value: t.memory_percent !== null ? memoryPercent(r) : r.memoryBytes,
        threshold: t.memory_percent ?? (t.memory_bytes === null ? null : Number(t.memory_bytes)),
      },
    ];
    for (const c of checks) {
      if (c.over === c.firing) continue;
      await tx.query(`UPDATE container_resource_alert SET ${c.metric}_firing = ? WHERE container_id = ?`, [c.over, t.container_id]);
      const payload = { containerId: t.container_id, name: t.name, metric: c.metric, value: c.value, threshold: c.threshold, at };
      events.push({ topic: c.over ? 'resource.alert' : 'resource.recovery', tenantId, payload });
      const fingerprint = resourceAlertFingerprint(t.container_id, c.metric);
      if (c.over) {
        await deps.alerts.raise(tx, {
          tenantId,
          source: 'containers',
          entityType: 'container',
          entityId: t.container_id,
          severity: 'warning',
          title: `${t.name}: ${c.metric === 'cpu' ? 'CPU' : 'memory'} above its threshold`,
          message: `${c.metric === 'cpu' ? `CPU at ${c.value} %` : `memory at ${c.value}${t.memory_percent !== null ? ' %' : ' bytes'}`}, threshold ${c.threshold}`,
          fingerprint,
        });
      } else await deps.alerts.resolve(tx, { tenantId, fingerprint });
    }
  }
  if (events.length > 0) await deps.events.publishMany(tx, events);
}

export { memoryPercent };
