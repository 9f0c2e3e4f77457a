import { AppError, type OperationRequest } from '../../../core/plugin-api/index.ts';
import type { AgentExecutor } from './agent-executor.ts';
import { type AgentRuns, agentRunView } from './agent-runs.ts';

type ExecuteRequest = OperationRequest<{ input?: Record<string, unknown>; timeoutSeconds?: number }, { agent: string; reasoner: string }>;

export async function executeAgent(executor: AgentExecutor, req: ExecuteRequest) {
  const run = await executor.execute(req.tenantId as string, `${req.params.agent}.${req.params.reasoner}`, req.body.input ?? {}, {
    timeoutSeconds: req.body.timeoutSeconds,
    requestedBy: req.principal?.id ?? null,
  });
  return { status: run.status === 'running' ? 202 : 200, body: agentRunView(run) };
}

export async function getAgentRun(runs: AgentRuns, req: OperationRequest<unknown, { id: string }>) {
  const run = await runs.get(req.tenantId as string, req.params.id);
  if (!run) throw new AppError('not_found', `No agent run ${req.params.id}`);
  return agentRunView(run);
}
