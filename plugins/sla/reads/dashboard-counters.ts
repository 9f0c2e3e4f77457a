import type { DashboardCounters } from '../../../core/plugin-api/index.ts';

/** The service catalog by status, silent agents and overdue backups, in one statement. */
export const slaDashboardCounters: DashboardCounters = async (tx) => {
  const [row] = await tx.query<Record<string, string>>(
    `SELECT s.*, n.* FROM
       (SELECT count(*) AS "services",
               count(*) FILTER (WHERE status = 'OPERATIONAL') AS "servicesOperational",
               count(*) FILTER (WHERE status = 'DEGRADED') AS "servicesDegraded",
               count(*) FILTER (WHERE status = 'DOWN') AS "servicesDown",
               count(*) FILTER (WHERE status = 'MAINTENANCE') AS "servicesMaintenance",
               count(*) FILTER (WHERE status = 'UNKNOWN') AS "servicesUnknown",
               count(*) FILTER (WHERE backup_overdue) AS "backupsOverdue"
          FROM sla_service) s,
       (SELECT count(*) AS "nodes", count(*) FILTER (WHERE silent) AS "nodesSilent" FROM sla_node) n`,
  );
  return Object.fromEntries(Object.entries(row).map(([name, value]) => [name, Number(value)]));
};
