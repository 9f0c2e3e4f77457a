import type { DatabaseService, EventsService, PlatformEvent, PluginLogger } from '../../../core/plugin-api/index.ts';
import { nextCronRun, type WorkflowTrigger } from '../workflows/workflow-definition.ts';
import type { WorkflowEngine } from './workflow-engine.ts';

interface TriggerDeps {
  database: DatabaseService;
  events: EventsService;
  engine: WorkflowEngine;
  logger: PluginLogger;
}

interface TriggeredWorkflow {
  id: string;
  version: number;
  name: string;
  trigger: WorkflowTrigger;
}

const matches = (filter: WorkflowTrigger['filter'], payload: unknown) =>
  Object.entries(filter ?? {}).every(([key, value]) => payload !== null && typeof payload === 'object' && (payload as Record<string, unknown>)[key] === value);

/**
 * Event triggers. Every node hears every event, so each may start the execution: the event's id is
 * the execution's trigger reference, unique per workflow, and only the first insert counts. The
 * topics some workflow listens to are cached per node (refreshed on this node's changes and every
 * few seconds for other nodes'), so events nobody listens to cost no query.
 */
export function eventTriggers(deps: TriggerDeps) {
  let topics = new Set<string>();
  const refresh = async () => {
    const rows = await deps.database.platform.query<{ topic: string }>(
      "SELECT DISTINCT trigger->>'topic' AS topic FROM workflow WHERE enabled AND trigger->>'type' = 'event'",
    );
    topics = new Set(rows.map((row) => row.topic));
  };

  const onEvent = async (event: PlatformEvent) => {
    if (!event.tenantId || !topics.has(event.topic)) return;
    await deps.database.forTenant(event.tenantId).transaction(async (tx) => {
      const workflows = await tx.query<TriggeredWorkflow>(
        "SELECT id, version, name, trigger FROM workflow WHERE enabled AND trigger->>'type' = 'event' AND trigger->>'topic' = ?",
        [event.topic],
      );
      for (const workflow of workflows) {
        // A workflow never starts itself again from its own completion.
        if ((event.payload as { workflowId?: string } | null)?.workflowId === workflow.id) continue;
        if (!matches(workflow.trigger.filter, event.payload)) continue;
        await deps.engine.start(tx, workflow, {
          kind: 'event',
          ref: `event:${event.id}`,
          input: event.payload,
          trigger: { kind: 'event', topic: event.topic, eventId: event.id, createdAt: event.createdAt },
        });
      }
    });
  };

  return {
    refresh,
    start(): () => void {
      return deps.events.subscribe((event) => {
        onEvent(event).catch((error) => deps.logger.error({ err: error, topic: event.topic }, 'workflow event trigger failed'));
      });
    },
  };
}

/**
 * Cron triggers: one node a round starts the workflows whose next run is due (the platform handle:
 * the due ones of every workspace), and moves their next run on. The due time is the trigger
 * reference, so a round repeated after a crash starts nothing twice.
 */
export async function cronRound(deps: TriggerDeps, now: Date): Promise<number> {
  const due = await deps.database.platform.query<TriggeredWorkflow & { tenant_id: string; next_run_at: Date }>(
    'SELECT id, tenant_id, version, name, trigger, next_run_at FROM workflow WHERE next_run_at <= ? AND enabled ORDER BY next_run_at LIMIT 200',
    [now],
  );
  for (const workflow of due) {
    await deps.database.forTenant(workflow.tenant_id).transaction(async (tx) => {
      const [still] = await tx.query('SELECT 1 FROM workflow WHERE id = ? AND next_run_at = ? FOR UPDATE SKIP LOCKED', [workflow.id, workflow.next_run_at]);
      if (!still) return;
      const dueAt = new Date(workflow.next_run_at).toISOString();
      await deps.engine.start(tx, workflow, { kind: 'cron', ref: `cron:${dueAt}`, trigger: { kind: 'cron', schedule: workflow.trigger.schedule, dueAt } });
      await tx.query('UPDATE workflow SET next_run_at = ? WHERE id = ?', [nextCronRun(workflow.trigger.schedule as string, now), workflow.id]);
    });
  }
  return due.length;
}

/**
 * Executions whose job was lost (a crash between a commit and the job's send), whose engine died
 * (its lease lapsed) or whose wait is over without a job to wake them: queued again. A duplicate
 * job is harmless, as only the holder of the lease runs an execution.
 */
export async function resumeRound(deps: TriggerDeps, olderThanSeconds: number): Promise<number> {
  const stranded = await deps.database.platform.query<{ tenant_id: string; id: string }>(
    `UPDATE workflow_execution SET updated_at = now()
      WHERE id IN (SELECT id FROM workflow_execution
                    WHERE status IN ('queued', 'running', 'waiting') AND updated_at < now() - make_interval(secs => ?)
                      AND (lease_until IS NULL OR lease_until < now()) AND (resume_at IS NULL OR resume_at <= now())
                    ORDER BY updated_at LIMIT 500 FOR UPDATE SKIP LOCKED)
      RETURNING tenant_id, id`,
    [olderThanSeconds],
  );
  for (const row of stranded) await deps.engine.enqueue(row.tenant_id, row.id);
  return stranded.length;
}
