import type { OutboundHttpService, PluginLogger } from '../../../core/plugin-api/index.ts';
import { sha256Signature } from '../webhooks/hmac-signature.ts';
import type { AgentRunRow, AgentRuns } from './agent-runs.ts';

export interface ControlPlaneSettings {
  url: string;
  /** Signs what we send (and the callbacks must be signed with it); unset, nothing is signed (the seed's rule). */
  secret?: string;
  /** The longest a dispatch may take, within the run's own deadline. */
  dispatchTimeoutMs: number;
  callbackUrl: () => string;
}

/**
 * The external executor: hands a run to the control plane (through the outbound guard, bounded by
 * the run's deadline) and leaves it `running`; the control plane's signed callback completes it.
 * A refusal or no answer ends the run as failed at once.
 */
export class ControlPlaneExecutor {
  constructor(
    private readonly outbound: OutboundHttpService,
    private readonly runs: AgentRuns,
    private readonly settings: ControlPlaneSettings,
    private readonly logger: PluginLogger,
  ) {}

  async dispatch(run: AgentRunRow): Promise<AgentRunRow> {
    const body = JSON.stringify({
      executionId: run.id,
      target: run.target,
      workspaceId: run.tenant_id,
      input: run.input,
      deadlineAt: new Date(run.deadline_at).toISOString(),
      callbackUrl: this.settings.callbackUrl(),
    });
    const remainingMs = new Date(run.deadline_at).getTime() - Date.now();
    const timeoutMs = Math.max(1, Math.min(remainingMs, this.settings.dispatchTimeoutMs));
    let failure: { code: string; message: string };
    try {
      const response = await this.outbound.request(this.settings.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.settings.secret ? { 'x-agentfield-signature': sha256Signature(this.settings.secret, body) } : {}),
          // The run id: a control plane that sees it twice knows it is the same run.
          'x-agentfield-delivery': run.id,
        },
        body,
        timeoutMs,
        maxResponseBytes: 65_536,
        maxRedirects: 0,
      });
      if (response.status >= 200 && response.status < 300) return run;
      failure = { code: 'control_plane_refused', message: `The control plane answered ${response.status}` };
    } catch (error) {
      failure = { code: 'control_plane_unreachable', message: String((error as Error)?.message ?? error) };
    }
    this.logger.warn({ runId: run.id, target: run.target, failureCode: failure.code }, failure.message);
    return (await this.runs.finishIn(run.tenant_id, run.id, { status: 'failed', ...failure })) ?? ((await this.runs.get(run.tenant_id, run.id)) as AgentRunRow);
  }
}
