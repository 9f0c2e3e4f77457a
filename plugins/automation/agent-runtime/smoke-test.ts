import { randomUUID } from 'node:crypto';
import type { CapabilitiesService, DatabaseService, EventsService, JobsService, PlatformEvent } from '../../../core/plugin-api/index.ts';
import type { AgentRuns } from '../agents/agent-runs.ts';
import { runCapability } from '../agents/agent-executor.ts';
import type { ExecutionRow, WorkflowEngine } from '../engine/workflow-engine.ts';
import { recordVersion, writeWorkflow } from '../workflows/workflows.handlers.ts';

export const smokeEventTopic = 'automation.smoke';
export const smokeJobTopic = 'automation.smoke_job_ran';
export const smokeJob = 'smoke';

/** How long one stage may take before it counts as failed. */
const stageTimeoutMs = 10_000;

export interface SmokeDeps {
  database: DatabaseService;
  events: EventsService;
  jobs: JobsService;
  runs: AgentRuns;
  capabilities: CapabilitiesService;
  engine: WorkflowEngine;
}

interface Stage {
  name: 'database' | 'event' | 'job' | 'agent' | 'workflow';
  status: 'passed' | 'failed';
  durationMs: number;
  detail?: string;
}

/** Resolves with the first event `match` accepts, or rejects after the stage timeout. */
function waitForEvent(events: EventsService, tenantId: string, topic: string, match: (event: PlatformEvent) => boolean) {
  let stop: () => void = () => {};
  let timer: NodeJS.Timeout | undefined;
  const heard = new Promise<PlatformEvent>((resolve, reject) => {
    stop = events.subscribe(
      (event) => {
        if (match(event)) resolve(event);
      },
      { tenantId, topics: new Set([topic]) },
    );
    timer = setTimeout(() => reject(new Error(`no ${topic} event within ${stageTimeoutMs} ms`)), stageTimeoutMs);
  });
  return {
    heard,
    done() {
      stop();
      clearTimeout(timer);
    },
  };
}

async function timed(name: Stage['name'], fn: () => Promise<string | undefined>): Promise<Stage> {
  const started = performance.now();
  try {
    const detail = await fn();
    return { name, status: 'passed', durationMs: Math.round(performance.now() - started), ...(detail ? { detail } : {}) };
  } catch (error) {
    return { name, status: 'failed', durationMs: Math.round(performance.now() - started), detail: String((error as Error)?.message ?? error) };
  }
}

/**
 * The end-to-end self-test: each stage exercises one part an agent or workflow depends on, the way
 * real work does (a committed event back through LISTEN/NOTIFY, a queued job on whichever node
 * takes it, a recorded agent run), and is timed on its own.
 */
export async function runSmokeTest(deps: SmokeDeps, tenantId: string, requestedBy: string | null) {
  const startedAt = new Date();
  const started = performance.now();
  const smokeId = randomUUID();
  const stages: Stage[] = [];

  stages.push(
    await timed('database', async () => {
      await deps.database.forTenant(tenantId).query('SELECT 1');
      return undefined;
    }),
  );
  stages.push(
    await timed('event', async () => {
      const wait = waitForEvent(deps.events, tenantId, smokeEventTopic, (event) => (event.payload as { smokeId?: string }).smokeId === smokeId);
      try {
        await deps.database.forTenant(tenantId).transaction((tx) => deps.events.publish(tx, { topic: smokeEventTopic, tenantId, payload: { smokeId } }));
        await wait.heard;
      } finally {
        wait.done();
      }
      return undefined;
    }),
  );
  stages.push(
    await timed('job', async () => {
      const wait = waitForEvent(deps.events, tenantId, smokeJobTopic, (event) => (event.payload as { smokeId?: string }).smokeId === smokeId);
      try {
        const jobId = await deps.jobs.send(`automation.${smokeJob}`, { smokeId, tenantId });
        await wait.heard;
        return jobId ? `job ${jobId}` : undefined;
      } finally {
        wait.done();
      }
    }),
  );
  stages.push(
    await timed('agent', async () => {
      const echo = deps.capabilities.get('automation.echo');
      if (!echo) throw new Error('the automation.echo capability is not registered');
      const run = await runCapability(deps, tenantId, echo, { input: { message: `smoke ${smokeId}` }, timeoutSeconds: stageTimeoutMs / 1000, requestedBy });
      if (run.status !== 'succeeded') throw new Error(`agent run ${run.id} ended ${run.status}: ${run.failure_message ?? ''}`);
      return `run ${run.id}`;
    }),
  );

  stages.push(await timed('workflow', () => smokeWorkflow(deps, tenantId, smokeId, requestedBy)));

  return {
    status: stages.every((stage) => stage.status === 'passed') ? 'passed' : 'failed',
    startedAt: startedAt.toISOString(),
    totalMs: Math.round(performance.now() - started),
    stages,
  };
}

/** The smoke job: proves a queued job ran, by an event in its own transaction. */
export async function smokeJobHandler(deps: Pick<SmokeDeps, 'database' | 'events'>, payload: { smokeId: string; tenantId: string }) {
  await deps.database
    .forTenant(payload.tenantId)
    .transaction((tx) => deps.events.publish(tx, { topic: smokeJobTopic, tenantId: payload.tenantId, payload: { smokeId: payload.smokeId } }));
}

/**
 * A one-step workflow (SET_VARIABLE) through the engine: written, started, run by the engine's job
 * on whichever node takes it, its output checked. The workflow is removed afterwards and its
 * execution kept, as the agent stage keeps its run: the evidence of the self-test.
 */
async function smokeWorkflow(deps: SmokeDeps, tenantId: string, smokeId: string, requestedBy: string | null): Promise<string> {
  const db = deps.database.forTenant(tenantId);
  let workflowId: string | undefined;
  const wait = waitForEvent(deps.events, tenantId, 'workflow.completed', (event) => (event.payload as { workflowId?: string }).workflowId === workflowId);
  let execution: ExecutionRow | undefined;
  try {
    execution = await db.transaction(async (tx) => {
      const workflow = await writeWorkflow(tx, {
        name: `Runtime self-test ${smokeId}`,
        description: 'POST /api/v1/agent-runtime/smoke: removed once it ran',
        enabled: true,
        trigger: { type: 'manual' },
        steps: [{ id: 'mark', type: 'SET_VARIABLE', variable: 'smokeId', value: smokeId }],
        output: { smokeId: '{{ $.vars.smokeId }}' },
      });
      workflowId = workflow.id;
      await recordVersion(tx, workflow, 'runtime self-test');
      return deps.engine.start(tx, workflow, { kind: 'manual', trigger: { kind: 'manual', by: 'runtime self-test' }, createdBy: requestedBy ?? undefined });
    });
    await wait.heard;
    const id = execution?.id;
    const [row] = await db.query<Pick<ExecutionRow, 'status' | 'output' | 'failure_message'>>(
      'SELECT status, output, failure_message FROM workflow_execution WHERE id = ?',
      [id],
    );
    if (row?.status !== 'succeeded') throw new Error(`execution ${id} ended ${row?.status}: ${row?.failure_message ?? ''}`);
    if ((row.output as { smokeId?: string } | null)?.smokeId !== smokeId) throw new Error(`execution ${id} produced ${JSON.stringify(row.output)}`);
    return `execution ${id}`;
  } finally {
    wait.done();
    if (workflowId) await removeSmokeWorkflow(deps, tenantId, workflowId, execution?.id);
  }
}

/** An execution that did not finish in time is cancelled first: no execution outlives its workflow's versions. */
async function removeSmokeWorkflow(deps: SmokeDeps, tenantId: string, workflowId: string, executionId: string | undefined) {
  await deps.database.forTenant(tenantId).transaction(async (tx) => {
    const [unfinished] = await tx.query<ExecutionRow>(
      "SELECT * FROM workflow_execution WHERE id = ? AND status IN ('queued', 'running', 'waiting') FOR UPDATE",
      [executionId ?? null],
    );
    if (unfinished) await deps.engine.cancel(tx, unfinished);
    await tx.query('DELETE FROM workflow WHERE id = ?', [workflowId]);
  });
}
