import type { AgentStepRun } from '../engine/step-runners.ts';
import { AppError, type CapabilitiesService, type RegisteredCapability, type SchemaValidator } from '../../../core/plugin-api/index.ts';
import type { AgentRunRow, AgentRuns } from './agent-runs.ts';
import type { ControlPlaneExecutor } from './control-plane-executor.ts';

export interface ExecuteDeps {
  runs: AgentRuns;
  capabilities: CapabilitiesService;
  validator: SchemaValidator;
  /** Absent when no control plane is configured: unknown capabilities are then not found. */
  controlPlane?: ControlPlaneExecutor;
  defaultTimeoutSeconds: number;
}

export interface ExecuteOptions {
  /** Total deadline of the run; default ITOPS_AUTOMATION_AGENT_TIMEOUT_SECONDS. */
  timeoutSeconds?: number;
  /** The user or API key (or workflow) that asked, recorded on the run. */
  requestedBy?: string | null;
}

/**
 * Runs `{agent}.{reasoner}` for a workspace, whoever asks (the execute endpoint, a workflow step):
 * a built-in capability finishes before this resolves; a control-plane run resolves `running`, and
 * `automation.agent_run_completed` says when it ends. Input that does not match a built-in
 * capability's schema throws validation_failed; an unknown target without a control plane, not_found.
 */
export class AgentExecutor {
  constructor(private readonly deps: ExecuteDeps) {}

  async execute(tenantId: string, target: string, input: unknown, options: ExecuteOptions = {}): Promise<AgentRunRow> {
    const timeoutSeconds = options.timeoutSeconds ?? this.deps.defaultTimeoutSeconds;
    const requestedBy = options.requestedBy ?? null;
    const capability = this.deps.capabilities.get(target);
    if (capability) {
      this.deps.validator.assert(capability.inputSchema, input);
      return runCapability(this.deps, tenantId, capability, { input, timeoutSeconds, requestedBy });
    }
    if (!this.deps.controlPlane) throw new AppError('not_found', `No agent capability ${target}`);
    const run = await this.deps.runs.start(tenantId, { target, executor: 'control_plane', input, timeoutSeconds, requestedBy });
    return this.deps.controlPlane.dispatch(run);
  }
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

/**
 * An AGENT workflow step's run: started like POST /api/v1/execute does, then, for a control-plane
 * run, followed until its signed callback ends it or the step's time is up.
 */
export async function runAgentStep(
  deps: { agents: AgentExecutor; runs: Pick<AgentRuns, 'get'> },
  tenantId: string,
  target: string,
  input: unknown,
  timeoutMs: number,
): Promise<AgentStepRun> {
  const until = Date.now() + timeoutMs;
  let run = await deps.agents.execute(tenantId, target, input, { timeoutSeconds: Math.max(1, Math.ceil(timeoutMs / 1000)), requestedBy: 'workflow' });
  while (run.status === 'running' && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    run = (await deps.runs.get(tenantId, run.id)) ?? run;
  }
  return { id: run.id, status: run.status, result: run.result, failureCode: run.failure_code, failureMessage: run.failure_message };
}
