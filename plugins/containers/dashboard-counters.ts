import type { DashboardCounters } from '../../core/plugin-api/index.ts';

/** Heartbeat and endpoint monitors by status, in one statement (both tables have a tenant index). */
export const containersDashboardCounters: DashboardCounters = async (tx) => {
  const [row] = await tx.query<Record<string, string>>(
    `SELECT h.*, e.* FROM
       (SELECT count(*) AS "heartbeats",
               count(*) FILTER (WHERE status = 'up') AS "heartbeatsUp",
               count(*) FILTER (WHERE status = 'late') AS "heartbeatsLate",
               count(*) FILTER (WHERE status = 'down') AS "heartbeatsDown",
               count(*) FILTER (WHERE status = 'paused') AS "heartbeatsPaused",
               count(*) FILTER (WHERE status = 'new') AS "heartbeatsNew"
          FROM heartbeat) h,
       (SELECT count(*) AS "endpoints",
               count(*) FILTER (WHERE status = 'up') AS "endpointsUp",
               count(*) FILTER (WHERE status = 'down') AS "endpointsDown",
               count(*) FILTER (WHERE status = 'paused') AS "endpointsPaused",
               count(*) FILTER (WHERE status = 'pending') AS "endpointsPending"
          FROM endpoint) e`,
  );
  return Object.fromEntries(Object.entries(row).map(([name, value]) => [name, Number(value)]));
};
