import { randomUUID } from 'node:crypto';
import type { DatabaseService, EventsService, Tx } from '../../../core/plugin-api/index.ts';

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'timed_out';

export interface AgentRunRow {
  id: string;
  tenant_id: string;
  target: string;
  executor: 'builtin' | 'control_plane';
  status: RunStatus;
  input: unknown;
  result: unknown;
  failure_code: string | null;
  failure_message: string | null;
  started_at: Date;
  deadline_at: Date;
  completed_at: Date | null;
  duration_ms: number | null;
}

/** How a run ended: its result, or why it failed. */
export type RunOutcome = { status: 'succeeded'; result: unknown } | { status: 'failed' | 'timed_out'; code: string; message: string };

export const agentRunCompleted = 'automation.agent_run_completed';

const iso = (value: Date | null) => (value ? new Date(value).toISOString() : null);

export function agentRunView(row: AgentRunRow) {
  return {
    id: row.id,
    target: row.target,
    executor: row.executor,
    status: row.status,
    startedAt: new Date(row.started_at).toISOString(),
    deadlineAt: new Date(row.deadline_at).toISOString(),
    completedAt: iso(row.completed_at),
    durationMs: row.duration_ms,
    result: row.result ?? null,
    failureCode: row.failure_code,
    failureMessage: row.failure_message,
  };
}

/** Failure messages come from capabilities and the control plane: kept short in the row and the event. */
const clip = (text: string) => (text.length > 2000 ? `${text.slice(0, 2000)}…` : text);

/**
 * Agent runs: started in their own transaction (so a crash mid-run leaves a `running` row that the
 * deadline sweep ends), finished once, with `automation.agent_run_completed` in the same transaction.
 */
export class AgentRuns {
  constructor(
    private readonly database: DatabaseService,
    private readonly events: EventsService,
  ) {}

  async start(
    tenantId: string,
    fields: { target: string; executor: AgentRunRow['executor']; input: unknown; timeoutSeconds: number; requestedBy: string | null },
  ): Promise<AgentRunRow> {
    const [row] = await this.database.forTenant(tenantId).query<AgentRunRow>(
      `INSERT INTO automation_agent_run (id, tenant_id, target, executor, status, input, requested_by, deadline_at)
         VALUES (?, ?, ?, ?, 'running', ?, ?, now() + make_interval(secs => ?)) RETURNING *`,
      [randomUUID(), tenantId, fields.target, fields.executor, JSON.stringify(fields.input), fields.requestedBy, fields.timeoutSeconds],
    );
    return row;
  }

  /**
   * Ends a running run with its outcome and publishes the completion, in `tx` (of the run's
   * workspace). Null when the run had already ended: the first outcome stands.
   */
  async finish(tx: Tx, id: string, outcome: RunOutcome): Promise<AgentRunRow | null> {
    const failed = outcome.status !== 'succeeded';
    const [row] = await tx.query<AgentRunRow>(
      `UPDATE automation_agent_run
          SET status = ?, result = ?, failure_code = ?, failure_message = ?, completed_at = clock_timestamp(),
              duration_ms = LEAST(floor(extract(epoch FROM clock_timestamp() - started_at) * 1000), 2147483647)::int
        WHERE id = ? AND status = 'running' RETURNING *`,
      [outcome.status, failed ? null : JSON.stringify(outcome.result ?? null), failed ? outcome.code : null, failed ? clip(outcome.message) : null, id],
    );
    if (!row) return null;
    await this.events.publish(tx, {
      topic: agentRunCompleted,
      tenantId: row.tenant_id,
      payload: { runId: row.id, target: row.target, status: row.status, failureCode: row.failure_code, durationMs: row.duration_ms },
    });
    return row;
  }

  async finishIn(tenantId: string, id: string, outcome: RunOutcome): Promise<AgentRunRow | null> {
    return this.database.forTenant(tenantId).transaction((tx) => this.finish(tx, id, outcome));
  }

  async get(tenantId: string, id: string): Promise<AgentRunRow | undefined> {
    const [row] = await this.database.forTenant(tenantId).query<AgentRunRow>('SELECT * FROM automation_agent_run WHERE id = ?', [id]);
    return row;
  }

  /**
   * Forgets callback deliveries after a week: by then their run has long ended, so a replay of one
   * is refused anyway (a run takes one outcome).
   */
  async forgetOldDeliveries(): Promise<void> {
    await this.database.platform.query("DELETE FROM automation_callback_delivery WHERE received_at < now() - interval '7 days'");
  }

  /** Runs past their deadline end as `timed_out` (across workspaces: one sweep for all). */
  async expireOverdue(): Promise<number> {
    const overdue = await this.database.platform.query<{ id: string; tenant_id: string }>(
      "SELECT id, tenant_id FROM automation_agent_run WHERE status = 'running' AND deadline_at < now() ORDER BY deadline_at LIMIT 500",
    );
    for (const run of overdue) {
      await this.finishIn(run.tenant_id, run.id, { status: 'timed_out', code: 'timed_out', message: 'No result before the run deadline' });
    }
    return overdue.length;
  }
}
