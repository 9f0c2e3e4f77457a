import { AppError, type CapabilitiesService, type DatabaseService, type OperationRequest, type RuntimeService } from '../../../core/plugin-api/index.ts';

export interface RuntimeDeps {
  runtime: RuntimeService;
  database: DatabaseService;
  capabilities: CapabilitiesService;
  controlPlane: { configured: boolean; signed: boolean };
}

/** A job waiting longer than this makes the runtime `degraded`. */
const backlogAgeSeconds = 300;

interface RunCounts {
  target: string;
  executor: 'builtin' | 'control_plane';
  running: number;
  succeeded: number;
  failed: number;
  timed_out: number;
  last_run_at: Date | null;
}

export async function runtimeHealth(deps: RuntimeDeps, req: OperationRequest) {
  const tenantId = req.tenantId as string;
  const checkedAt = new Date().toISOString();
  const pinged = performance.now();
  await deps.database.forTenant(tenantId).query('SELECT 1');
  const latencyMs = Math.round(performance.now() - pinged);
  const [queues, jobs, outbox, [running]] = await Promise.all([
    deps.runtime.queues(),
    deps.runtime.failedJobs(tenantId, 1000),
    deps.runtime.failedDeliveries(tenantId, 1000),
    deps.database.forTenant(tenantId).query<{ count: number }>("SELECT count(*)::int AS count FROM automation_agent_run WHERE status = 'running'"),
  ]);
  const ages = queues.map((queue) => queue.oldestQueuedAgeSeconds).filter((age): age is number => age !== null);
  const oldest = ages.length ? Math.max(...ages) : null;
  const reasons: string[] = [];
  if (oldest !== null && oldest > backlogAgeSeconds) reasons.push(`a job has waited ${oldest} s to run`);
  if (jobs.length) reasons.push(`${jobs.length} failed job(s)`);
  if (outbox.length) reasons.push(`${outbox.length} failed outbox deliveries`);
  return {
    status: reasons.length ? 'degraded' : 'ok',
    checkedAt,
    reasons,
    database: { ok: true, latencyMs },
    queues: {
      count: queues.length,
      queued: queues.reduce((sum, queue) => sum + queue.queued, 0),
      active: queues.reduce((sum, queue) => sum + queue.active, 0),
      failed: queues.reduce((sum, queue) => sum + queue.failed, 0),
      oldestQueuedAgeSeconds: oldest,
    },
    failures: { jobs: jobs.length, outbox: outbox.length },
    agents: { builtin: deps.capabilities.list().length, running: running.count, controlPlaneConfigured: deps.controlPlane.configured },
  };
}

export async function runtimeQueues(deps: RuntimeDeps) {
  return { data: await deps.runtime.queues() };
}

export async function runtimeFailures(deps: RuntimeDeps, req: OperationRequest<unknown, Record<string, string>, { limit?: number }>) {
  const tenantId = req.tenantId as string;
  const limit = req.query.limit ?? 100;
  const [jobs, outbox] = await Promise.all([deps.runtime.failedJobs(tenantId, limit), deps.runtime.failedDeliveries(tenantId, limit)]);
  return { jobs, outbox };
}

export async function runtimeAgents(deps: RuntimeDeps, req: OperationRequest) {
  const counts = await deps.database.forTenant(req.tenantId as string).query<RunCounts>(
    `SELECT target, executor,
            count(*) FILTER (WHERE status = 'running')::int AS running,
            count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
            count(*) FILTER (WHERE status = 'failed')::int AS failed,
            count(*) FILTER (WHERE status = 'timed_out')::int AS timed_out,
            max(started_at) AS last_run_at
       FROM automation_agent_run WHERE started_at > now() - interval '24 hours'
      GROUP BY target, executor`,
  );
  const byTarget = new Map(counts.map((row) => [`${row.executor}:${row.target}`, row]));
  const runs = (row: RunCounts | undefined) => ({
    running: row?.running ?? 0,
    succeeded: row?.succeeded ?? 0,
    failed: row?.failed ?? 0,
    timedOut: row?.timed_out ?? 0,
    lastRunAt: row?.last_run_at ? new Date(row.last_run_at).toISOString() : null,
  });
  const builtin = deps.capabilities.list().map((capability) => ({
    name: capability.name,
    executor: 'builtin' as const,
    owner: capability.owner,
    description: capability.description,
    retrySafe: capability.retrySafe === true,
    inputSchema: capability.inputSchema,
    runs: runs(byTarget.get(`builtin:${capability.name}`)),
  }));
  const external = counts
    .filter((row) => row.executor === 'control_plane')
    .sort((a, b) => a.target.localeCompare(b.target))
    .map((row) => ({ name: row.target, executor: 'control_plane' as const, owner: null, description: null, retrySafe: false, runs: runs(row) }));
  return { data: [...builtin, ...external], controlPlane: deps.controlPlane };
}

export async function retryOutboxFailure(deps: RuntimeDeps, req: OperationRequest<unknown, { id: string }>) {
  if (!(await deps.runtime.retryDelivery(req.tenantId as string, req.params.id))) {
    throw new AppError('not_found', `No failed outbox delivery ${req.params.id}`);
  }
  return { status: 202, body: { id: req.params.id, retried: true } };
}

export async function retryJobFailure(deps: RuntimeDeps, req: OperationRequest<unknown, { id: string }>) {
  if (!(await deps.runtime.retryJob(req.tenantId as string, req.params.id))) {
    throw new AppError('not_found', `No failed job ${req.params.id}`);
  }
  return { status: 202, body: { id: req.params.id, retried: true } };
}
