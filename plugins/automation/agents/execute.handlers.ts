import { AppError, type CapabilitiesService, type OperationRequest, type RegisteredCapability, type SchemaValidator } from '../../../core/plugin-api/index.ts';
import { type AgentRunRow, type AgentRuns, agentRunView } from './agent-runs.ts';
import type { ControlPlaneExecutor } from './control-plane-executor.ts';

export interface ExecuteDeps {
  runs: AgentRuns;
  capabilities: CapabilitiesService;
  validator: SchemaValidator;
  /** Absent when no control plane is configured: unknown capabilities are then 404. */
  controlPlane?: ControlPlaneExecutor;
  defaultTimeoutSeconds: number;
}

type ExecuteRequest = OperationRequest<{ input?: Record<string, unknown>; timeoutSeconds?: number }, { agent: string; reasoner: string }>;

export async function executeAgent(deps: ExecuteDeps, req: ExecuteRequest) {
  const tenantId = req.tenantId as string;
  const target = `${req.params.agent}.${req.params.reasoner}`;
  const input = req.body.input ?? {};
  const timeoutSeconds = req.body.timeoutSeconds ?? deps.defaultTimeoutSeconds;
  const requestedBy = req.principal?.id ?? null;
  const capability = deps.capabilities.get(target);
  if (capability) {
    deps.validator.assert(capability.inputSchema, input);
    return { status: 200, body: agentRunView(await runCapability(deps, tenantId, capability, { input, timeoutSeconds, requestedBy })) };
  }
  if (!deps.controlPlane) throw new AppError('not_found', `No agent capability ${target}`);
  const run = await deps.runs.start(tenantId, { target, executor: 'control_plane', input, timeoutSeconds, requestedBy });
  const dispatched = await deps.controlPlane.dispatch(run);
  return { status: dispatched.status === 'running' ? 202 : 200, body: agentRunView(dispatched) };
}

/** A recorded run of a built-in capability (its input already validated), finished when this resolves. */
export async function runCapability(
  deps: Pick<ExecuteDeps, 'runs'>,
  tenantId: string,
  capability: RegisteredCapability,
  options: { input: unknown; timeoutSeconds: number; requestedBy: string | null },
): Promise<AgentRunRow> {
  const run = await deps.runs.start(tenantId, { target: capability.name, executor: 'builtin', ...options });
  return runBuiltin(deps, capability, run, options.input, options.requestedBy);
}

/** Runs a plugin's capability within the run's deadline; whatever happens, the run ends recorded. */
async function runBuiltin(deps: Pick<ExecuteDeps, 'runs'>, capability: RegisteredCapability, run: AgentRunRow, input: unknown, principalId: string | null) {
  const deadline = AbortSignal.timeout(Math.max(1, new Date(run.deadline_at).getTime() - Date.now()));
  let timedOut: () => void = () => {};
  const expiry = new Promise<never>((_, reject) => {
    timedOut = () => reject(new DeadlinePassed());
    deadline.addEventListener('abort', timedOut, { once: true });
  });
  try {
    const result = await Promise.race([capability.handler(input, { tenantId: run.tenant_id, runId: run.id, signal: deadline, principalId }), expiry]);
    return (await deps.runs.finishIn(run.tenant_id, run.id, { status: 'succeeded', result: result ?? null })) ?? run;
  } catch (error) {
    const outcome =
      error instanceof DeadlinePassed || deadline.aborted
        ? ({ status: 'timed_out', code: 'timed_out', message: 'The capability did not finish before the run deadline' } as const)
        : ({
            status: 'failed',
            code: error instanceof AppError ? error.code : 'capability_failed',
            message: String((error as Error)?.message ?? error),
          } as const);
    return (await deps.runs.finishIn(run.tenant_id, run.id, outcome)) ?? run;
  } finally {
    deadline.removeEventListener('abort', timedOut);
    expiry.catch(() => {});
  }
}

class DeadlinePassed extends Error {}

export async function getAgentRun(deps: Pick<ExecuteDeps, 'runs'>, req: OperationRequest<unknown, { id: string }>) {
  const run = await deps.runs.get(req.tenantId as string, req.params.id);
  if (!run) throw new AppError('not_found', `No agent run ${req.params.id}`);
  return agentRunView(run);
}
