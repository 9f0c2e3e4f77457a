import type { AlertsService, DatabaseService, EventsService, PluginLogger } from '../../../core/plugin-api/index.ts';
import type { RuntimeAdapter } from '../runtime/runtime-adapter.ts';
import { type Reading, storeReadings } from './resource-snapshots.ts';

export interface CollectorDeps {
  database: DatabaseService;
  events: EventsService;
  alerts: AlertsService;
  logger: PluginLogger;
  adapter: RuntimeAdapter;
  tenantId: string;
  /** Stats calls side by side (default 16). */
  concurrency?: number;
}

/**
 * One snapshot round: a reading of every running container of the watched runtime, each call
 * bounded by the adapter's deadline (a container that does not answer is left out of this round,
 * not waited for), then all stored in one transaction.
 */
export async function collectReadings(deps: CollectorDeps, signal?: AbortSignal): Promise<number> {
  const db = deps.database.forTenant(deps.tenantId);
  const running = await db.query<{ id: string; external_id: string; name: string; namespace: string | null }>(
    "SELECT id, external_id, name, namespace FROM container WHERE source = ? AND state = 'running'",
    [deps.adapter.kind],
  );
  const readings: Reading[] = [];
  const queue = [...running];
  let failures = 0;
  const worker = async () => {
    for (let c = queue.shift(); c && !signal?.aborted; c = queue.shift()) {
      try {
        const stats = await deps.adapter.stats({ externalId: c.external_id, name: c.name, namespace: c.namespace });
        if (stats) readings.push({ ...stats, containerId: c.id });
      } catch {
        failures += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: deps.concurrency ?? 16 }, worker));
  if (failures > 0) deps.logger.warn({ failures, containers: running.length }, 'some container stats were not read this round');
  await db.transaction((tx) => storeReadings(tx, deps, deps.tenantId, readings));
  return readings.length;
}

/** Drops samples past the retention, across workspaces (the platform handle: a sweep, not a request). */
export async function pruneReadings(database: DatabaseService, now: Date, retentionHours: number): Promise<void> {
  await database.platform.query('DELETE FROM container_resource_sample WHERE at < ?', [new Date(now.getTime() - retentionHours * 3_600_000).toISOString()]);
}
