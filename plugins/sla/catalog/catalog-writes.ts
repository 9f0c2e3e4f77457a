import { upsertGroups } from '../operator/operator-sync.ts';
import type { SlaAlertSink } from '../alerts/sla-alerts.ts';
import type { ServiceStatus } from '../figures/sla-math.ts';
import type { SlaTx } from '../sla-tx.ts';
import { recordStatusChanges } from '../operator/status-changes.ts';

export type ServiceSource = 'operator' | 'register' | 'health' | 'storage' | 'backup' | 'template';

/** A service as a push, a registration or a template describes it; absent fields keep their value. */
export interface ServiceInput {
  nodeId: string;
  name: string;
  /** Absent: keep the current status (a new service starts UNKNOWN until something reports it). */
  status?: ServiceStatus;
  message?: string;
  displayName?: string;
  criticality?: string;
  serviceType?: string;
  namespace?: string;
  /** Replaces the tags. */
  tags?: string[];
  /** Added to the tags (the storage push's `storage`). */
  addTags?: string[];
  slaGroup?: string;
  backupExpected?: boolean;
  backupMaxAgeDays?: number;
  storage?: Record<string, unknown>;
}

/** How it-ops.yaml, register calls and templates define a service (no status: agents report that). */
export interface ServiceDefinition {
  nodeId: string;
  name: string;
  displayName?: string;
  criticality?: string;
  serviceType?: string;
  namespace?: string;
  tags?: string[];
  slaGroup?: string;
  operations?: { backup?: { expected?: boolean; maxAgeDays?: number } };
}

export function definitionInput(d: ServiceDefinition): ServiceInput {
  return {
    nodeId: d.nodeId,
    name: d.name,
    displayName: d.displayName,
    criticality: d.criticality,
    serviceType: d.serviceType,
    namespace: d.namespace,
    tags: d.tags,
    slaGroup: d.slaGroup,
    backupExpected: d.operations?.backup?.expected,
    backupMaxAgeDays: d.operations?.backup?.maxAgeDays,
  };
}

export interface UpsertedService {
  id: string;
  created: boolean;
  status: ServiceStatus;
  previousStorage: Record<string, unknown> | null;
}

/**
 * Creates the service (and its node, and its SLA group) on first sight, or updates the fields the
 * input carries, in one statement; a status change goes through recordStatusChanges like an agent's.
 */
export async function upsertService(tx: SlaTx, sink: SlaAlertSink, tenantId: string, source: ServiceSource, s: ServiceInput): Promise<UpsertedService> {
  // Creates the node on first sight; a service written by anything but the node's agent makes its
  // next sync take the full path (see repeatSync).
  await tx.query('INSERT INTO sla_node (tenant_id, node_id) VALUES (?, ?) ON CONFLICT (tenant_id, node_id) DO UPDATE SET sync_hash = NULL', [
    tenantId,
    s.nodeId,
  ]);
  if (s.slaGroup) await upsertGroups(tx, tenantId, [{ name: s.slaGroup }]);
  const given = (v: unknown) => v !== undefined;
  const [row] = await tx.query<{
    id: string;
    status: ServiceStatus;
    inserted: boolean;
    from_status: ServiceStatus | null;
    prior_storage: Record<string, unknown> | null;
  }>(
    `WITH prior AS (
       SELECT id, status, storage FROM sla_service WHERE node_id = ? AND name = ?
     ), up AS (
       INSERT INTO sla_service AS s (id, tenant_id, node_id, name, display_name, status, message, criticality, service_type, namespace,
         tags, sla_group_id, source, backup_expected, backup_max_age_days, storage)
       VALUES (gen_random_uuid(), ?, ?, ?, ?, coalesce(?, 'UNKNOWN'), ?, ?, ?, ?,
         (SELECT coalesce(array_agg(DISTINCT t ORDER BY t), '{}') FROM unnest(?::text[] || ?::text[]) t),
         (SELECT id FROM sla_group WHERE name = ?), ?, coalesce(?, false), coalesce(?, 1), ?::jsonb)
       ON CONFLICT (tenant_id, node_id, name) DO UPDATE SET
         status = CASE WHEN ? THEN excluded.status ELSE s.status END,
         status_changed_at = CASE WHEN ? AND s.status <> excluded.status THEN now() ELSE s.status_changed_at END,
         message = CASE WHEN ? THEN excluded.message ELSE s.message END,
         display_name = coalesce(excluded.display_name, s.display_name),
         criticality = coalesce(excluded.criticality, s.criticality),
         service_type = coalesce(excluded.service_type, s.service_type),
         namespace = coalesce(excluded.namespace, s.namespace),
         tags = (SELECT coalesce(array_agg(DISTINCT t ORDER BY t), '{}') FROM unnest(CASE WHEN ? THEN excluded.tags ELSE s.tags || excluded.tags END) t),
         sla_group_id = coalesce(excluded.sla_group_id, s.sla_group_id),
         backup_expected = CASE WHEN ? THEN excluded.backup_expected ELSE s.backup_expected END,
         backup_max_age_days = CASE WHEN ? THEN excluded.backup_max_age_days ELSE s.backup_max_age_days END,
         storage = coalesce(excluded.storage, s.storage),
         updated_at = now()
       RETURNING s.id, s.status, (xmax = 0) AS inserted
     )
     SELECT up.id, up.status, up.inserted, prior.status AS from_status, prior.storage AS prior_storage FROM up LEFT JOIN prior ON true`,
    [
      s.nodeId,
      s.name,
      tenantId,
      s.nodeId,
      s.name,
      s.displayName ?? null,
      s.status ?? null,
      s.message ?? null,
      s.criticality ?? null,
      s.serviceType ?? null,
      s.namespace ?? null,
      s.tags ?? [],
      s.addTags ?? [],
      s.slaGroup ?? null,
      source,
      s.backupExpected ?? null,
      s.backupMaxAgeDays ?? null,
      s.storage ? JSON.stringify(s.storage) : null,
      given(s.status),
      given(s.status),
      given(s.status),
      given(s.tags),
      given(s.backupExpected),
      given(s.backupMaxAgeDays),
    ],
  );
  const from = row.inserted ? null : row.from_status;
  if (from !== row.status) await recordStatusChanges(tx, sink, tenantId, [{ serviceId: row.id, name: s.name, nodeId: s.nodeId, from, to: row.status }]);
  return { id: row.id, created: row.inserted, status: row.status, previousStorage: row.prior_storage };
}
