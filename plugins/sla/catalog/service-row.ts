/**
 * One service as every read returns it (REST, GraphQL, the agent's expected list), selected with
 * the same columns everywhere so the shapes cannot drift apart.
 */
export const serviceColumns = `
  s.id, s.name, s.display_name, s.node_id, s.status, s.status_changed_at, s.message, s.replicas, s.ready_replicas,
  s.workload_type, s.criticality, s.service_type, s.namespace, s.tags, g.name AS sla_group, s.source,
  s.backup_expected, s.last_backup_at, s.last_backup_status, s.backup_max_age_days, s.backup_overdue, s.storage,
  EXISTS (SELECT 1 FROM sla_exclusion_window w WHERE w.service_id = s.id AND w.ended_at IS NULL) AS in_window,
  s.created_at`;

/** `FROM` clause matching serviceColumns. */
export const serviceFrom = 'sla_service s LEFT JOIN sla_group g ON g.id = s.sla_group_id';

export interface ServiceRow {
  id: string;
  name: string;
  display_name: string | null;
  node_id: string;
  status: string;
  status_changed_at: Date;
  message: string | null;
  replicas: number | null;
  ready_replicas: number | null;
  workload_type: string | null;
  criticality: string | null;
  service_type: string | null;
  namespace: string | null;
  tags: string[];
  sla_group: string | null;
  source: string;
  backup_expected: boolean;
  last_backup_at: Date | null;
  last_backup_status: string | null;
  backup_max_age_days: number;
  backup_overdue: boolean;
  storage: Record<string, unknown> | null;
  in_window: boolean;
  created_at: Date;
}

/** Timestamps arrive from raw SQL as strings or Dates depending on the driver path: normalise. */
export const iso = (d: Date | string | null | undefined): string | null => (d ? new Date(d).toISOString() : null);
export const ms = (d: Date | string): number => new Date(d).getTime();

export function toService(r: ServiceRow) {
  return {
    id: r.id,
    name: r.name,
    displayName: r.display_name,
    nodeId: r.node_id,
    status: r.status,
    statusChangedAt: iso(r.status_changed_at),
    message: r.message,
    replicas: r.replicas,
    readyReplicas: r.ready_replicas,
    workloadType: r.workload_type,
    criticality: r.criticality,
    serviceType: r.service_type,
    namespace: r.namespace,
    tags: r.tags ?? [],
    slaGroup: r.sla_group,
    source: r.source,
    backupStatus: {
      backupExpected: r.backup_expected,
      lastBackupAt: iso(r.last_backup_at),
      lastBackupStatus: r.last_backup_status,
      backupMaxAgeDays: r.backup_max_age_days,
      backupOverdue: r.backup_overdue,
    },
    storage: r.storage,
    inExclusionWindow: r.in_window,
    createdAt: iso(r.created_at),
  };
}

export type Service = ReturnType<typeof toService>;
