import { createHash } from 'node:crypto';
import type { DatabaseService } from '../../../core/plugin-api/index.ts';
import type { SlaAlertSink } from '../alerts/sla-alerts.ts';
import type { ServiceStatus } from '../figures/sla-math.ts';
import type { SlaTx } from '../sla-tx.ts';
import { recordStatusChanges, type StatusChange } from './status-changes.ts';

export interface SyncedService {
  name: string;
  displayName?: string;
  status: ServiceStatus;
  replicas?: number;
  readyReplicas?: number;
  slaGroup?: string;
  workloadType?: string;
  namespace?: string;
  message?: string;
}

export interface StatusSync {
  nodeId: string;
  operatorVersion?: string;
  services: SyncedService[];
  slaGroups?: { name: string; displayName?: string; tier?: string }[];
}

/**
 * What a sync says, as a short digest. A node that sends the same sync as last time (the usual case
 * every 30 s) is answered from one relaxed statement; any other writer of the node's services
 * clears the stored digest, so a repeated sync then takes the full path again. The digest is of the
 * request's own text when there is one: an agent sends the same bytes each time, and serializing
 * 50 services again cost more than hashing. A text that differs but says the same (another key
 * order, a new operator version) takes the full path once, which writes only what changed.
 */
export function syncHash(sync: StatusSync, text?: string): string {
  return createHash('sha256')
    .update(text ?? JSON.stringify([sync.services, sync.slaGroups ?? []]))
    .digest('base64url');
}

/**
 * The fast path: the node's last sync said exactly this and nothing else touched its services since.
 * Only the liveness timestamp moves, committed without waiting for the WAL flush. Returns false
 * when the full sync has to run.
 */
export async function repeatSync(db: DatabaseService, tenantId: string, sync: StatusSync, hash: string): Promise<boolean> {
  // Platform handle: only it has relaxedQuery, so this one statement keeps its tenant condition.
  const rows = await db.platform.relaxedQuery(
    `UPDATE sla_node SET last_sync_at = now(), agent_version = coalesce(?, agent_version)
     WHERE tenant_id = ? AND node_id = ? AND sync_hash = ? AND NOT silent RETURNING 1`,
    [sync.operatorVersion ?? null, tenantId, sync.nodeId, hash],
  );
  return rows.length > 0;
}

/** Sources whose services the node's agent is expected to report on every sync. */
export const agentSources = "('operator', 'register')";

/**
 * One agent sync in a handful of statements, whatever the number of services: groups and services
 * are upserted from one JSON parameter each, and a row is rewritten only when something in it
 * changed (a steady fleet syncing every 30 s writes almost nothing). The statement compares the
 * upsert's result with the rows as they were before it (a CTE sees the snapshot from before the
 * statement), which yields exactly the status changes; services of the node that the sync no longer
 * lists become UNKNOWN in the same statement.
 */
export async function applyStatusSync(
  tx: SlaTx,
  sink: SlaAlertSink,
  tenantId: string,
  sync: StatusSync,
  hash: string,
  onAgentBack: (tx: SlaTx, tenantId: string, nodeId: string) => Promise<void>,
) {
  const services = dedupe(sync.services);
  const [node] = await tx.query<{ was_silent: boolean | null }>(
    `WITH prior AS (SELECT silent FROM sla_node WHERE node_id = ?)
     INSERT INTO sla_node (tenant_id, node_id, agent_version, last_sync_at, sync_hash) VALUES (?, ?, ?, now(), ?)
     ON CONFLICT (tenant_id, node_id) DO UPDATE SET last_sync_at = now(), silent = false, sync_hash = excluded.sync_hash,
       agent_version = coalesce(excluded.agent_version, sla_node.agent_version)
     RETURNING (SELECT silent FROM prior) AS was_silent`,
    [sync.nodeId, tenantId, sync.nodeId, sync.operatorVersion ?? null, hash],
  );
  // Groups a service names but the sync does not describe are created too (tier standard).
  const described = new Set((sync.slaGroups ?? []).map((g) => g.name));
  const named = services.flatMap((s) => (s.slaGroup && !described.has(s.slaGroup) ? [{ name: s.slaGroup }] : []));
  const groups = [...(sync.slaGroups ?? []), ...named];
  const groupsWritten = groups.length > 0 ? (await upsertGroups(tx, tenantId, groups)).length : 0;
  const written = await tx.query<{ id: string; name: string; from_status: ServiceStatus | null; to_status: ServiceStatus; missing: boolean; changed: boolean }>(
    `WITH input AS (
       SELECT * FROM jsonb_to_recordset(?::jsonb) AS x(name text, "displayName" text, status text, replicas int, "readyReplicas" int,
         "slaGroup" text, "workloadType" text, namespace text, message text)
     ), prior AS (
       SELECT id, status FROM sla_service WHERE node_id = ?
     ), upserted AS (
       INSERT INTO sla_service AS s (id, tenant_id, node_id, name, display_name, status, replicas, ready_replicas, workload_type,
         namespace, message, sla_group_id, source)
       SELECT gen_random_uuid(), ?, ?, i.name, i."displayName", i.status, i.replicas, i."readyReplicas", i."workloadType", i.namespace,
         i.message, g.id, 'operator'
       FROM input i LEFT JOIN sla_group g ON g.name = i."slaGroup"
       ON CONFLICT (tenant_id, node_id, name) DO UPDATE SET
         status = excluded.status,
         status_changed_at = CASE WHEN s.status <> excluded.status THEN now() ELSE s.status_changed_at END,
         replicas = excluded.replicas, ready_replicas = excluded.ready_replicas, message = excluded.message,
         display_name = coalesce(excluded.display_name, s.display_name),
         workload_type = coalesce(excluded.workload_type, s.workload_type),
         namespace = coalesce(excluded.namespace, s.namespace),
         sla_group_id = coalesce(excluded.sla_group_id, s.sla_group_id),
         updated_at = now()
       WHERE (s.status, s.replicas, s.ready_replicas, s.message) IS DISTINCT FROM (excluded.status, excluded.replicas, excluded.ready_replicas, excluded.message)
          OR (excluded.display_name IS NOT NULL AND excluded.display_name IS DISTINCT FROM s.display_name)
          OR (excluded.workload_type IS NOT NULL AND excluded.workload_type IS DISTINCT FROM s.workload_type)
          OR (excluded.namespace IS NOT NULL AND excluded.namespace IS DISTINCT FROM s.namespace)
          OR (excluded.sla_group_id IS NOT NULL AND excluded.sla_group_id IS DISTINCT FROM s.sla_group_id)
       RETURNING s.id, s.name, s.status, false AS missing
     ), gone AS (
       UPDATE sla_service s SET status = 'UNKNOWN', status_changed_at = now(), updated_at = now(),
         message = 'no longer reported by its agent'
       WHERE s.node_id = ? AND s.source IN ${agentSources} AND s.status <> 'UNKNOWN'
         AND NOT EXISTS (SELECT 1 FROM input i WHERE i.name = s.name)
       RETURNING s.id, s.name, s.status, true AS missing
     )
     SELECT u.id, u.name, p.status AS from_status, u.status AS to_status, u.missing, p.status IS DISTINCT FROM u.status AS changed
     FROM (SELECT * FROM upserted UNION ALL SELECT * FROM gone) u LEFT JOIN prior p ON p.id = u.id`,
    [JSON.stringify(services), sync.nodeId, tenantId, sync.nodeId, sync.nodeId],
  );
  const changes = written.filter((w) => w.changed);
  const statusChanges: StatusChange[] = changes.map((c) => ({
    serviceId: c.id,
    name: c.name,
    nodeId: sync.nodeId,
    from: c.from_status,
    to: c.to_status,
    reason: c.missing ? `${c.name} is no longer reported by the agent of ${sync.nodeId}` : undefined,
  }));
  await recordStatusChanges(tx, sink, tenantId, statusChanges);
  if (written.length > 0) await publishServicesReported(tx, sink, tenantId, sync.nodeId, services, written);
  if (node.was_silent) await onAgentBack(tx, tenantId, sync.nodeId);
  // A sync that rewrote no row only moved the node's last_sync_at, a liveness timestamp the agent
  // sends again in 30 s: its commit need not wait for the WAL flush. Anything the agent reported
  // that changed a row keeps a durable commit.
  if (written.length === 0 && groupsWritten === 0) await tx.query('SET LOCAL synchronous_commit TO OFF');
  return { services: services.length, changes: statusChanges, missing: changes.filter((c) => c.missing).length };
}

/**
 * `sla.services_reported`: the services of an agent's sync that are new or changed (state, replicas,
 * message), as the agent described them. The containers plugin builds its container model from it,
 * so workloads an agent watches land beside those a runtime reports (first statuses included, which
 * `service:status_changed` leaves out).
 */
async function publishServicesReported(
  tx: SlaTx,
  sink: SlaAlertSink,
  tenantId: string,
  nodeId: string,
  services: SyncedService[],
  written: { id: string; name: string; to_status: ServiceStatus; missing: boolean }[],
) {
  const described = new Map(services.map((s) => [s.name, s]));
  await sink.events.publish(tx, {
    topic: 'sla.services_reported',
    tenantId,
    payload: {
      nodeId,
      at: new Date().toISOString(),
      services: written.map((w) => {
        const s = described.get(w.name);
        return {
          serviceId: w.id,
          name: w.name,
          status: w.to_status,
          missing: w.missing,
          namespace: s?.namespace ?? null,
          workloadType: s?.workloadType ?? null,
          replicas: s?.replicas ?? null,
          readyReplicas: s?.readyReplicas ?? null,
          message: s?.message ?? null,
        };
      }),
    },
  });
}

/**
 * Creates groups, or updates the fields given that differ (an agent that omits the tier does not
 * reset one set by a template). Returns the names created and updated; unchanged groups are absent.
 */
export async function upsertGroups(
  tx: Pick<SlaTx, 'query'>,
  tenantId: string,
  groups: { name: string; displayName?: string; tier?: string; targetPercent?: number }[],
) {
  return tx.query<{ name: string; inserted: boolean }>(
    `WITH input AS (
       SELECT * FROM jsonb_to_recordset(?::jsonb) AS x(name text, "displayName" text, tier text, "targetPercent" double precision)
     ), updated AS (
       UPDATE sla_group g SET display_name = coalesce(i."displayName", g.display_name), tier = coalesce(i.tier, g.tier),
         target_percent = coalesce(i."targetPercent", g.target_percent), updated_at = now()
       FROM input i
       WHERE g.name = i.name
         AND (coalesce(i."displayName", g.display_name), coalesce(i.tier, g.tier), coalesce(i."targetPercent", g.target_percent))
             IS DISTINCT FROM (g.display_name, g.tier, g.target_percent)
       RETURNING g.name, false AS inserted
     ), inserted AS (
       INSERT INTO sla_group (id, tenant_id, name, display_name, tier, target_percent)
       SELECT gen_random_uuid(), ?, i.name, i."displayName", coalesce(i.tier, 'standard'), i."targetPercent" FROM input i
       ON CONFLICT (tenant_id, name) DO NOTHING
       RETURNING name, true AS inserted
     )
     SELECT * FROM updated UNION ALL SELECT * FROM inserted`,
    [JSON.stringify(dedupe(groups)), tenantId],
  );
}

/** The last entry wins when an agent lists a name twice (ON CONFLICT cannot touch a row twice). */
function dedupe<T extends { name: string }>(items: T[]): T[] {
  return [...new Map(items.map((i) => [i.name, i])).values()];
}
