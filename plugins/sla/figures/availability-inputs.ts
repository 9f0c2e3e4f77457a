import type { SqlQuery } from '../../../core/plugin-api/index.ts';
import type { ServiceStatus, StatusTransition, TimeWindow } from './sla-math.ts';

/** Uptime targets per tier when neither the group nor the workspace's tier table sets one. */
export const defaultTierTargets: Record<string, number> = { critical: 99.95, high: 99.9, standard: 99.5, low: 99 };

/** A group's target: its own, else the workspace's for its tier, else the default for the tier. */
export const targetSql = `coalesce(g.target_percent, tt.target_percent, (?::jsonb ->> g.tier)::float8, ${defaultTierTargets.standard})`;
export const targetJoin = 'LEFT JOIN sla_tier tt ON tt.tenant_id = g.tenant_id AND tt.tier = g.tier';

/** Everything computeAvailability needs for one service over one range, plus what to label it with. */
export interface ServiceTimeline {
  serviceId: string;
  tenantId: string;
  groupId: string | null;
  /** null for services outside any SLA group (they get figures but no status). */
  targetPercent: number | null;
  createdAt: number;
  initialStatus: ServiceStatus | null;
  transitions: StatusTransition[];
  windows: TimeWindow[];
}

/**
 * Loads the timelines of many services for [from, to) in four set-based queries (no query per
 * service): the services with their targets and the status in force at `from` (an index probe per
 * service on (service_id, at)), the transitions inside the range, and the windows overlapping it.
 * Whose services they are is the handle's: a workspace's (row-level security) or the platform's (all).
 */
export async function loadTimelines(query: SqlQuery, range: { from: Date; to: Date; serviceIds?: string[] }): Promise<ServiceTimeline[]> {
  const where: string[] = ['s.created_at < ?'];
  const params: unknown[] = [range.to];
  if (range.serviceIds) {
    where.push("s.id = ANY(string_to_array(?, ',')::uuid[])");
    params.push(range.serviceIds.join(','));
  }
  const services = await query<{
    id: string;
    tenant_id: string;
    group_id: string | null;
    target: number | null;
    created_at: Date;
    initial: ServiceStatus | null;
  }>(
    `SELECT s.id, s.tenant_id, s.sla_group_id AS group_id, CASE WHEN g.id IS NULL THEN NULL ELSE ${targetSql} END AS target, s.created_at,
       (SELECT t.to_status FROM sla_status_transition t WHERE t.service_id = s.id AND t.at < ? ORDER BY t.at DESC, t.id DESC LIMIT 1) AS initial
     FROM sla_service s LEFT JOIN sla_group g ON g.id = s.sla_group_id ${targetJoin}
     WHERE ${where.join(' AND ')}`,
    [JSON.stringify(defaultTierTargets), range.from, ...params],
  );
  if (services.length === 0) return [];
  const idFilter = range.serviceIds ? "AND service_id = ANY(string_to_array(?, ',')::uuid[])" : '';
  const idParams = range.serviceIds ? [range.serviceIds.join(',')] : [];
  const [transitions, windows] = await Promise.all([
    query<{ service_id: string; to_status: ServiceStatus; at: Date }>(
      `SELECT service_id, to_status, at FROM sla_status_transition WHERE at >= ? AND at < ? ${idFilter} ORDER BY service_id, at, id`,
      [range.from, range.to, ...idParams],
    ),
    query<{ service_id: string; started_at: Date; ended_at: Date | null }>(
      `SELECT service_id, started_at, ended_at FROM sla_exclusion_window
       WHERE started_at < ? AND (ended_at IS NULL OR ended_at > ?) ${idFilter}`,
      [range.to, range.from, ...idParams],
    ),
  ]);
  const byId = new Map<string, ServiceTimeline>();
  for (const s of services) {
    byId.set(s.id, {
      serviceId: s.id,
      tenantId: s.tenant_id,
      groupId: s.group_id,
      targetPercent: s.target === null ? null : Number(s.target),
      createdAt: new Date(s.created_at).getTime(),
      initialStatus: s.initial,
      transitions: [],
      windows: [],
    });
  }
  for (const t of transitions) byId.get(t.service_id)?.transitions.push({ at: new Date(t.at).getTime(), status: t.to_status });
  for (const w of windows)
    byId.get(w.service_id)?.windows.push({ start: new Date(w.started_at).getTime(), end: w.ended_at ? new Date(w.ended_at).getTime() : null });
  return [...byId.values()];
}
