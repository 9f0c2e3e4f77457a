import type { DashboardCounters } from '../../../core/plugin-api/index.ts';

/**
 * The dashboard's execution counters (GET /api/v1/dashboard/summary, group `automation`): workflow
 * executions in progress (running, or waiting on a step's retry or a delay) and those that failed in
 * the last 24 hours, in one statement over the workspace's executions.
 */
export const executionCounters: DashboardCounters = async (tx) => {
  const [row] = await tx.query<{ running: number; failed: number }>(
    `SELECT count(*) FILTER (WHERE status IN ('running', 'waiting'))::int AS running,
            count(*) FILTER (WHERE status = 'failed' AND completed_at > now() - interval '24 hours')::int AS failed
       FROM workflow_execution WHERE status IN ('running', 'waiting', 'failed')`,
  );
  return { executionsRunning: row.running, executionsFailedLast24h: row.failed };
};
