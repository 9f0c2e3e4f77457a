import { randomUUID } from 'node:crypto';
import type { CapabilitiesService, DatabaseService, EventsService, JobsService, PlatformEvent } from '../../../core/plugin-api/index.ts';
import type { AgentRuns } from '../agents/agent-runs.ts';
import { runCapability } from '../agents/agent-executor.ts';

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
}

interface Stage {
  name: 'database' | 'event' | 'job' | 'agent';
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
