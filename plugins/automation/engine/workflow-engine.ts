import { randomUUID } from 'node:crypto';
import {
  AppError,
  type DatabaseService,
  type EventsService,
  type JobsService,
  type NotificationChannelsService,
  type OutboundHttpService,
  type PluginLogger,
  type Tx,
} from '../../../core/plugin-api/index.ts';
import { pureStepTypes, type TriggerKind, type WorkflowDefinition, type WorkflowStep } from '../workflows/workflow-definition.ts';
import { resolve } from './expressions.ts';
import { type RunAgent, runStep, type StepOutcome, type StepScope, type TicketSteps } from './step-runners.ts';

export const runQueue = 'automation.run';

/** How often a step acting outside looks whether its execution was cancelled through another node. */
const cancelCheckMs = 1000;

/**
 * Steps whose effect is outside the database (HTTP_REQUEST): recorded as running, and committed,
 * before they act. The others compute, or act in the transaction that records their outcome (NOTIFY).
 */
const actsOutside = (step: WorkflowStep) => !pureStepTypes.has(step.type) && step.type !== 'NOTIFY';

export interface ExecutionRow {
  id: string;
  tenant_id: string;
  workflow_id: string;
  workflow_version: number;
  workflow_name: string;
  status: 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled';
  trigger_kind: TriggerKind;
  input: unknown;
  context: { steps: Record<string, { output: unknown }>; vars: Record<string, unknown>; trigger?: unknown };
  output: unknown;
  current_step: number;
  step_attempt: number;
  retry_count: number;
  failure_code: string | null;
  failure_message: string | null;
  queued_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
}

export interface EngineOptions {
  database: DatabaseService;
  events: EventsService;
  jobs: JobsService;
  outbound: OutboundHttpService;
  /** Sends NOTIFY steps' messages to the workspace's notification channels. */
  channels: NotificationChannelsService;
  /** Runs AGENT steps (the plugin's agent executor). */
  runAgent?: RunAgent;
  /** Opens and changes tickets for TICKET steps, while the ticketing plugin is loaded. */
  tickets?: TicketSteps;
  logger: PluginLogger;
  /** Seconds beyond a step's timeout that its engine's lease lasts: after that, another engine takes over. */
  leaseSeconds: number;
}

/**
 * A write the engine owes the database; flushed in the transaction that records the next decision.
 * Step runs and events it adds to `owed` are written there together, one statement each.
 */
type PendingWrite = (tx: Tx, owed: Owed) => Promise<unknown>;

type Published = { topic: string; tenantId: string | null; payload: unknown };

interface Owed {
  runs: StepRunRow[];
  events: Published[];
}

interface StepRunRow {
  id: string;
  step_index: number;
  step_id: string;
  type: string;
  attempt: number;
  status: 'succeeded' | 'failed';
  output: string | null;
  error_code: string | null;
  error_message: string | null;
  started_at: string;
}

type Decision =
  | { kind: 'begin'; step: WorkflowStep; index: number; attempt: number; runId: string }
  | { kind: 'wait'; seconds: number }
  | { kind: 'succeed' }
  | { kind: 'fail'; code: string; message: string };

/**
 * Durable workflow execution on pg-boss. A job (`automation.run`) drives one execution: it takes
 * the execution's lease, then runs its steps in order. Every step's outcome, and the execution's
 * position, are written in one transaction, together with the start of the next step that acts
 * outside the database: that step's timeline row is committed as `running` before its side effect.
 * So after a crash the next engine (the job's retry or the resume sweep, once the lease lapsed)
 * finds the step that was running: a retry-safe one runs again, any other fails the execution
 * with `step_interrupted` instead of acting twice. DELAYs and retry delays park the execution and
 * queue a job for when it is due.
 */
export class WorkflowEngine {
  private readonly definitions = new Map<string, WorkflowDefinition>();
  /** Executions with a step acting outside on this node, so a cancel here stops it at once. */
  private readonly acting = new Map<string, AbortController>();

  constructor(private readonly options: EngineOptions) {}

  /** Queues an execution in the caller's transaction; its job is sent once that commits. */
  async start(
    tx: Tx,
    workflow: { id: string; version: number; name: string },
    start: { kind: TriggerKind; ref?: string; input?: unknown; trigger?: unknown; createdBy?: string },
  ): Promise<ExecutionRow | undefined> {
    // The workflow's row is key-share locked: a delete (which locks it for update) either waits for
    // this execution and then refuses, or wins and nothing starts. No execution outlives its versions.
    const [row] = await tx.query<ExecutionRow>(
      `INSERT INTO workflow_execution (id, tenant_id, workflow_id, workflow_version, workflow_name, status, trigger_kind, trigger_ref, input, context, created_by)
       SELECT ?, ?, w.id, ?, ?, 'queued', ?, ?, ?, ?, ? FROM (SELECT id FROM workflow WHERE id = ? FOR KEY SHARE) w
       ON CONFLICT (workflow_id, trigger_ref) WHERE trigger_ref IS NOT NULL DO NOTHING RETURNING *`,
      [
        randomUUID(),
        tx.tenantId,
        workflow.version,
        workflow.name,
        start.kind,
        start.ref ?? null,
        JSON.stringify(start.input ?? {}),
        JSON.stringify({ steps: {}, vars: {}, trigger: start.trigger ?? { kind: start.kind } }),
        start.createdBy ?? null,
        workflow.id,
      ],
    );
    if (row) tx.afterCommit(() => this.enqueue(row.tenant_id, row.id));
    return row;
  }

  enqueue(tenantId: string, executionId: string, delaySeconds?: number): Promise<unknown> {
    return this.options.jobs.send(runQueue, { tenantId, executionId }, delaySeconds ? { startAfterSeconds: Math.ceil(delaySeconds) } : {});
  }

  private async definition(tx: Tx, workflowId: string, version: number): Promise<WorkflowDefinition | undefined> {
    const key = `${workflowId}:${version}`;
    const cached = this.definitions.get(key);
    if (cached) return cached;
    const [row] = await tx.query<WorkflowDefinition>('SELECT trigger, steps, output FROM workflow_version WHERE workflow_id = ? AND version = ?', [
      workflowId,
      version,
    ]);
    if (!row) return undefined;
    // Versions never change, so a node keeps them; the bound only guards memory.
    if (this.definitions.size > 5000) this.definitions.clear();
    this.definitions.set(key, row);
    return row;
  }

  private leaseFor(step: WorkflowStep | undefined): number {
    return Math.ceil((step?.timeoutMs ?? 30_000) / 1000) + this.options.leaseSeconds;
  }

  /** The job: runs the execution as far as it goes now (to its end, a wait, or a failure). */
  async run(tenantId: string, executionId: string): Promise<void> {
    const db = this.options.database.forTenant(tenantId);
    const claimed = await db.transaction(async (tx) => {
      // With the claim, in the same statement: the runs an engine left running (it stopped mid-step).
      const [claim] = await tx.query<ExecutionRow & { interrupted: { id: string; step_index: number; attempt: number }[] }>(
        `WITH claimed AS (
           UPDATE workflow_execution SET status = 'running', started_at = coalesce(started_at, now()), resume_at = NULL,
                  lease_until = now() + make_interval(secs => ?), updated_at = now()
            WHERE id = ? AND status IN ('queued', 'running', 'waiting') AND (lease_until IS NULL OR lease_until < now())
              AND (resume_at IS NULL OR resume_at <= now())
            RETURNING *)
         SELECT claimed.*, coalesce((SELECT json_agg(json_build_object('id', r.id, 'step_index', r.step_index, 'attempt', r.attempt))
                                       FROM workflow_step_run r WHERE r.execution_id = claimed.id AND r.status = 'running'), '[]') AS interrupted
           FROM claimed`,
        [this.options.leaseSeconds + 30, executionId],
      );
      if (!claim) return undefined;
      const { interrupted, ...execution } = claim;
      const definition = await this.definition(tx, execution.workflow_id, execution.workflow_version);
      if (!definition) {
        // Left from before deletes were refused while executions ran: it can never run, so it ends
        // now instead of being queued again by every resume sweep.
        await this.finishWithoutDefinition(tx, execution);
        return undefined;
      }
      // The usual case, nothing interrupted: the first step that acts begins in this same transaction.
      const step = definition.steps[execution.current_step];
      if (interrupted.length > 0 || !step || !actsOutside(step)) return { execution, definition, interrupted };
      const begun = { runId: randomUUID(), attempt: execution.step_attempt + 1 };
      await tx.query(
        `WITH begun AS (UPDATE workflow_execution SET step_attempt = ?, lease_until = now() + make_interval(secs => ?) WHERE id = ? RETURNING id)
         INSERT INTO workflow_step_run (id, tenant_id, execution_id, step_index, step_id, type, attempt, status)
         SELECT ?, ?, begun.id, ?, ?, ?, ?, 'running' FROM begun`,
        [begun.attempt, this.leaseFor(step), executionId, begun.runId, tx.tenantId, execution.current_step, step.id, step.type, begun.attempt],
      );
      return { execution, definition, interrupted, begun };
    });
    if (!claimed) return;
    try {
      await this.drive(db, claimed.execution, claimed.definition, claimed.interrupted, claimed.begun);
    } catch (error) {
      // Not a step's failure (those are recorded): the database or the engine. Let the job's retry
      // take the execution over at once rather than after the lease.
      await db.query('UPDATE workflow_execution SET lease_until = NULL WHERE id = ?', [executionId]).catch(() => undefined);
      throw error;
    }
  }

  private async drive(
    db: ReturnType<DatabaseService['forTenant']>,
    execution: ExecutionRow,
    definition: WorkflowDefinition,
    interrupted: { id: string; step_index: number; attempt: number }[],
    begun?: { runId: string; attempt: number },
  ): Promise<void> {
    const { steps } = definition;
    const context = execution.context;
    const scope: StepScope = { input: execution.input, vars: context.vars, steps: context.steps, trigger: context.trigger };
    let index = execution.current_step;
    let attempt = execution.step_attempt;
    let retryCount = execution.retry_count;
    let pending: PendingWrite[] = [];
    let lastOutput: unknown = null;

    for (const run of interrupted) {
      const step = steps[run.step_index];
      const rerunnable = step !== undefined && (step.retrySafe === true || pureStepTypes.has(step.type));
      pending.push((tx) =>
        tx.query(
          "UPDATE workflow_step_run SET status = 'interrupted', error_code = 'step_interrupted', error_message = ?, completed_at = now() WHERE id = ? AND status = 'running'",
          [rerunnable ? 'The engine running it stopped; the step is retry-safe and runs again' : 'The engine running it stopped mid-step', run.id],
        ),
      );
      if (!rerunnable) {
        await this.decide(db, execution, pending, { index, attempt, retryCount, context, lastOutput }, definition, {
          kind: 'fail',
          code: 'step_interrupted',
          message: `Step ${step?.id ?? run.step_index} was interrupted and is not retry-safe: it may have acted, so it is not run again`,
        });
        return;
      }
    }

    while (true) {
      const step = steps[index];
      if (!step) {
        await this.decide(db, execution, pending, { index, attempt, retryCount, context, lastOutput }, definition, { kind: 'succeed' });
        return;
      }
      attempt += 1;
      const runId = begun?.runId ?? randomUUID();
      const alreadyBegun = begun !== undefined;
      begun = undefined;
      // A step that acts outside the database is recorded as running, and committed, before it acts.
      if (actsOutside(step) && !alreadyBegun) {
        const going = await this.decide(db, execution, pending, { index, attempt, retryCount, context, lastOutput }, definition, {
          kind: 'begin',
          step,
          index,
          attempt,
          runId,
        });
        pending = [];
        if (!going) return;
      }
      const startedAt = new Date();
      const watch = actsOutside(step) ? this.watchForCancel(db, execution.id) : undefined;
      const outcome: StepOutcome = await runStep(
        {
          tenantId: execution.tenant_id,
          outbound: this.options.outbound,
          runAgent: this.options.runAgent,
          tickets: this.options.tickets,
          channelExists: (channelId) =>
            this.options.database.forTenant(execution.tenant_id).transaction(async (tx) => (await this.options.channels.find(tx, channelId)) !== null),
          signal: watch?.signal,
        },
        step,
        scope,
      ).finally(() => watch?.stop());
      // The cancel already closed the execution and its running step: nothing is recorded over it.
      if (watch?.signal.aborted) return;
      const completed = { startedAt, runId, step, index, attempt, outcome, began: actsOutside(step) };
      pending.push((tx, owed) => this.recordStep(tx, owed, execution, completed));

      if (outcome.ok) {
        context.steps[step.id] = { output: outcome.output };
        if (outcome.vars) Object.assign(context.vars, outcome.vars);
        lastOutput = outcome.output;
        attempt = 0;
        if (outcome.next === 'end') index = steps.length;
        else if (outcome.next) index = steps.findIndex((s) => s.id === outcome.next);
        else index += 1;
        if (outcome.delaySeconds !== undefined && outcome.delaySeconds > 0) {
          await this.decide(db, execution, pending, { index, attempt, retryCount, context, lastOutput }, definition, {
            kind: 'wait',
            seconds: outcome.delaySeconds,
          });
          return;
        }
        continue;
      }
      const retry = step.retry ?? {};
      if (attempt <= (retry.limit ?? 0)) {
        retryCount += 1;
        const delayMs = retry.delayMs ?? 0;
        if (delayMs > 0) {
          await this.decide(db, execution, pending, { index, attempt, retryCount, context, lastOutput }, definition, {
            kind: 'wait',
            seconds: delayMs / 1000,
          });
          return;
        }
        continue;
      }
      await this.decide(db, execution, pending, { index, attempt, retryCount, context, lastOutput }, definition, {
        kind: 'fail',
        code: outcome.code,
        message: outcome.message,
      });
      return;
    }
  }

  /**
   * While a step acts outside, looks every `cancelCheckMs` whether its execution was cancelled (the
   * cancel may come through another node), and aborts the step when it was; a cancel on this node
   * aborts it at once. Steps that take less than the interval cost no query.
   */
  private watchForCancel(db: ReturnType<DatabaseService['forTenant']>, executionId: string): { signal: AbortSignal; stop(): void } {
    const controller = new AbortController();
    this.acting.set(executionId, controller);
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const look = async () => {
      try {
        const [row] = await db.query<{ status: string }>('SELECT status FROM workflow_execution WHERE id = ?', [executionId]);
        if (row?.status === 'cancelled') controller.abort();
      } catch {
        // A failed look waits for the next one; the step's own deadline still holds.
      }
      if (!stopped && !controller.signal.aborted) timer = setTimeout(look, cancelCheckMs);
    };
    timer = setTimeout(look, cancelCheckMs);
    return {
      signal: controller.signal,
      stop: () => {
        stopped = true;
        clearTimeout(timer);
        if (this.acting.get(executionId) === controller) this.acting.delete(executionId);
      },
    };
  }

  private async recordStep(
    tx: Tx,
    owed: Owed,
    execution: ExecutionRow,
    done: { startedAt: Date; runId: string; step: WorkflowStep; index: number; attempt: number; outcome: StepOutcome; began: boolean },
  ): Promise<void> {
    const { outcome } = done;
    const output = outcome.ok ? JSON.stringify(outcome.output ?? null) : null;
    const [code, message] = outcome.ok ? [null, null] : [outcome.code, outcome.message];
    const status = outcome.ok ? 'succeeded' : 'failed';
    if (done.began) {
      await tx.query(
        "UPDATE workflow_step_run SET status = ?, output = ?, error_code = ?, error_message = ?, completed_at = clock_timestamp() WHERE id = ? AND status = 'running'",
        [status, output, code, message, done.runId],
      );
    } else {
      owed.runs.push({
        id: done.runId,
        step_index: done.index,
        step_id: done.step.id,
        type: done.step.type,
        attempt: done.attempt,
        status,
        output,
        error_code: code,
        error_message: message,
        started_at: done.startedAt.toISOString(),
      });
    }
    // NOTIFY's effects, its channel message and its event, are written with the step's outcome: they happen exactly once.
    if (outcome.ok && outcome.notify) {
      const { channel, severity, message } = outcome.notify as { channel: string | null; severity: 'info' | 'warning' | 'critical'; message: string };
      if (channel) await this.sendToChannel(tx, execution, done.step, { channel, severity, message });
      owed.events.push({
        topic: 'workflow.notification',
        tenantId: tx.tenantId,
        payload: { executionId: execution.id, workflowId: execution.workflow_id, stepId: done.step.id, ...outcome.notify },
      });
    }
  }

  private async sendToChannel(
    tx: Tx,
    execution: ExecutionRow,
    step: WorkflowStep,
    notify: { channel: string; severity: 'info' | 'warning' | 'critical'; message: string },
  ): Promise<void> {
    try {
      await this.options.channels.send(tx, {
        tenantId: execution.tenant_id,
        channelId: notify.channel,
        source: 'automation',
        severity: notify.severity,
        title: `${execution.workflow_name}: ${step.name ?? step.id}`.slice(0, 500),
        message: notify.message.slice(0, 10_000),
      });
    } catch (error) {
      // The step found the channel; deleted since, it has nowhere to go. Recording the outcome matters more.
      if (!(error instanceof AppError && error.code === 'not_found')) throw error;
      this.options.logger.warn({ executionId: execution.id, stepId: step.id, channel: notify.channel }, 'the NOTIFY channel was deleted meanwhile');
    }
  }

  /**
   * One transaction: the writes owed so far, the execution's new position, and what comes next.
   * The position is written only while the execution still runs: a cancel in the meantime wins,
   * and then nothing further starts. Answers whether the execution goes on.
   */
  private async decide(
    db: ReturnType<DatabaseService['forTenant']>,
    execution: ExecutionRow,
    pending: PendingWrite[],
    state: { index: number; attempt: number; retryCount: number; context: ExecutionRow['context']; lastOutput: unknown },
    definition: WorkflowDefinition,
    decision: Decision,
  ): Promise<boolean> {
    return db.transaction(async (tx) => {
      const owed: Owed = { runs: [], events: [] };
      for (const write of pending) await write(tx, owed);
      if (owed.runs.length > 0) {
        await tx.query(
          `INSERT INTO workflow_step_run (id, tenant_id, execution_id, step_index, step_id, type, attempt, status, output, error_code, error_message, started_at, completed_at)
           SELECT r.id, ?, ?, r.step_index, r.step_id, r.type, r.attempt, r.status, r.output::jsonb, r.error_code, r.error_message, r.started_at, clock_timestamp()
             FROM jsonb_to_recordset(?::jsonb) AS r(id uuid, step_index int, step_id text, type text, attempt int, status text, output text,
                                                    error_code text, error_message text, started_at timestamptz)`,
          [tx.tenantId, execution.id, JSON.stringify(owed.runs)],
        );
      }
      // The owed events, and the execution's own once it finished, in one statement after its new position.
      const publish = async (more: Published[] = []) => {
        const events = [...owed.events, ...more];
        if (events.length > 0) await this.options.events.publishMany(tx, events);
      };
      const common = [state.index, state.attempt, state.retryCount, JSON.stringify(state.context)];
      if (decision.kind === 'begin') {
        const [row] = await tx.query(
          `UPDATE workflow_execution SET current_step = ?, step_attempt = ?, retry_count = ?, context = ?,
                  lease_until = now() + make_interval(secs => ?), updated_at = now()
            WHERE id = ? AND status = 'running' RETURNING id`,
          [...common, this.leaseFor(decision.step), execution.id],
        );
        await publish();
        if (!row) return false;
        await tx.query(
          `INSERT INTO workflow_step_run (id, tenant_id, execution_id, step_index, step_id, type, attempt, status)
           VALUES (?, ?, ?, ?, ?, ?, ?, 'running')`,
          [decision.runId, tx.tenantId, execution.id, decision.index, decision.step.id, decision.step.type, decision.attempt],
        );
        return true;
      }
      if (decision.kind === 'wait') {
        const [row] = await tx.query(
          `UPDATE workflow_execution SET current_step = ?, step_attempt = ?, retry_count = ?, context = ?, status = 'waiting',
                  resume_at = now() + make_interval(secs => ?), lease_until = NULL, updated_at = now()
            WHERE id = ? AND status = 'running' RETURNING id`,
          [...common, decision.seconds, execution.id],
        );
        await publish();
        if (row) tx.afterCommit(() => this.enqueue(execution.tenant_id, execution.id, decision.seconds));
        return false;
      }
      const succeeded = decision.kind === 'succeed';
      const scope = { input: execution.input, vars: state.context.vars, steps: state.context.steps, trigger: state.context.trigger };
      const output = succeeded ? (definition.output !== undefined && definition.output !== null ? resolve(definition.output, scope) : state.lastOutput) : null;
      const [finished] = await tx.query<ExecutionRow & { duration_ms: number }>(
        `UPDATE workflow_execution SET current_step = ?, step_attempt = ?, retry_count = ?, context = ?, status = ?, output = ?,
                failure_code = ?, failure_message = ?, completed_at = now(), lease_until = NULL, updated_at = now()
          WHERE id = ? AND status = 'running'
          RETURNING *, (extract(epoch FROM now() - coalesce(started_at, queued_at)) * 1000)::int AS duration_ms`,
        [
          ...common,
          succeeded ? 'succeeded' : 'failed',
          JSON.stringify(output ?? null),
          succeeded ? null : (decision as { code: string }).code,
          succeeded ? null : (decision as { message: string }).message,
          execution.id,
        ],
      );
      await publish(finished ? finishedEvents(tx, finished) : []);
      return false;
    });
  }

  private async finishWithoutDefinition(tx: Tx, execution: ExecutionRow): Promise<void> {
    const [row] = await tx.query<ExecutionRow & { duration_ms: number }>(
      `UPDATE workflow_execution SET status = 'failed', failure_code = 'workflow_deleted',
              failure_message = ?, completed_at = now(), lease_until = NULL, updated_at = now()
        WHERE id = ? RETURNING *, (extract(epoch FROM now() - coalesce(started_at, queued_at)) * 1000)::int AS duration_ms`,
      [`Version ${execution.workflow_version} of workflow ${execution.workflow_id} no longer exists`, execution.id],
    );
    await tx.query(
      "UPDATE workflow_step_run SET status = 'interrupted', error_code = 'workflow_deleted', completed_at = now() WHERE execution_id = ? AND status = 'running'",
      [execution.id],
    );
    if (row) await this.options.events.publishMany(tx, finishedEvents(tx, row));
  }

  /** Retry from the failed step: the outputs of the steps before it are kept. */
  async retry(tx: Tx, execution: ExecutionRow): Promise<ExecutionRow> {
    const [row] = await tx.query<ExecutionRow>(
      `UPDATE workflow_execution SET status = 'queued', step_attempt = 0, retry_count = retry_count + 1, failure_code = NULL,
              failure_message = NULL, completed_at = NULL, output = NULL, lease_until = NULL, resume_at = NULL, updated_at = now()
        WHERE id = ? RETURNING *`,
      [execution.id],
    );
    tx.afterCommit(() => this.enqueue(execution.tenant_id, execution.id));
    return row as ExecutionRow;
  }

  async cancel(tx: Tx, execution: ExecutionRow): Promise<ExecutionRow> {
    const [row] = await tx.query<ExecutionRow & { duration_ms: number }>(
      `UPDATE workflow_execution SET status = 'cancelled', completed_at = now(), lease_until = NULL, resume_at = NULL, updated_at = now()
        WHERE id = ? RETURNING *, (extract(epoch FROM now() - coalesce(started_at, queued_at)) * 1000)::int AS duration_ms`,
      [execution.id],
    );
    await tx.query(
      "UPDATE workflow_step_run SET status = 'cancelled', error_code = 'cancelled', error_message = 'The execution was cancelled', completed_at = now() WHERE execution_id = ? AND status = 'running'",
      [execution.id],
    );
    await this.options.events.publishMany(tx, finishedEvents(tx, row as ExecutionRow & { duration_ms: number }));
    tx.afterCommit(() => this.acting.get(execution.id)?.abort());
    return row as ExecutionRow;
  }
}

/** `workflow.completed` for every finished execution; `pipeline.failed` too when it failed. */
function finishedEvents(tx: Tx, row: ExecutionRow & { duration_ms: number }): Published[] {
  const payload = {
    executionId: row.id,
    workflowId: row.workflow_id,
    workflowName: row.workflow_name,
    workflowVersion: row.workflow_version,
    status: row.status,
    durationMs: row.duration_ms,
    retryCount: row.retry_count,
    failureCode: row.failure_code,
  };
  const events: Published[] = [{ topic: 'workflow.completed', tenantId: tx.tenantId, payload }];
  if (row.status === 'failed')
    events.push({ topic: 'pipeline.failed', tenantId: tx.tenantId, payload: { source: 'workflow', ...payload, failureMessage: row.failure_message } });
  return events;
}
