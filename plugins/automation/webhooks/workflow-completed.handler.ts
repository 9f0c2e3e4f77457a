import { AppError, type DatabaseService, type OperationRequest, type SchemaValidator } from '../../../core/plugin-api/index.ts';
import { type AgentRuns, type RunOutcome, agentRunView } from '../agents/agent-runs.ts';
import { headerValue, signatureMatches } from './hmac-signature.ts';

export interface CallbackDeps {
  database: DatabaseService;
  runs: AgentRuns;
  validator: SchemaValidator;
  /** Unset: callbacks need no signature (the seed's rule), but only ever complete control-plane runs. */
  secret?: string;
}

interface Callback {
  executionId: string;
  status: 'succeeded' | 'failed';
  result?: unknown;
  error?: { code?: string; message?: string };
}

const callbackSchema = {
  type: 'object',
  required: ['executionId', 'status'],
  properties: {
    executionId: { type: 'string', format: 'uuid', maxLength: 36 },
    status: { type: 'string', enum: ['succeeded', 'failed'] },
    result: {},
    error: {
      type: 'object',
      properties: { code: { type: 'string', pattern: '^[a-z][a-z0-9_.-]*$', maxLength: 100 }, message: { type: 'string', maxLength: 2000 } },
    },
  },
};

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new AppError('invalid_json', 'The callback body is not JSON');
  }
}

/**
 * The control plane's completion of a run. The signature is checked on the exact bytes before
 * anything is parsed; the delivery is recorded in the same transaction as the run's outcome and
 * its event, so a delivery counts as seen exactly when it took effect.
 */
export async function workflowCompletedCallback(deps: CallbackDeps, req: OperationRequest<Buffer>) {
  const body = req.body ?? Buffer.alloc(0);
  const delivery = headerValue(req.headers, 'x-agentfield-delivery');
  if (deps.secret !== undefined) {
    if (!signatureMatches(deps.secret, body, headerValue(req.headers, 'x-agentfield-signature'), { bareHex: true })) {
      throw new AppError('unauthorized', 'x-agentfield-signature is missing or does not match the body');
    }
    if (!delivery) throw new AppError('bad_request', 'x-agentfield-delivery is required on signed callbacks');
  }
  const callback = parseJson(body) as Callback;
  deps.validator.assert(callbackSchema, callback);

  // The callback names no workspace: the run's id finds it, and everything after runs as that workspace.
  const [owner] = await deps.database.platform.query<{ tenant_id: string }>(
    "SELECT tenant_id FROM automation_agent_run WHERE id = ? AND executor = 'control_plane'",
    [callback.executionId],
  );
  if (!owner) throw new AppError('not_found', `No control-plane run ${callback.executionId}`);

  const outcome: RunOutcome =
    callback.status === 'succeeded'
      ? { status: 'succeeded', result: callback.result ?? null }
      : { status: 'failed', code: callback.error?.code ?? 'agent_failed', message: callback.error?.message ?? 'The control plane reported a failure' };
  const run = await deps.database.forTenant(owner.tenant_id).transaction(async (tx) => {
    if (delivery) {
      const recorded = await tx.query(
        'INSERT INTO automation_callback_delivery (delivery_id, tenant_id, run_id) VALUES (?, ?, ?) ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id',
        [delivery, owner.tenant_id, callback.executionId],
      );
      if (recorded.length === 0) throw new AppError('conflict', `Delivery ${delivery} was already received`);
    }
    const finished = await deps.runs.finish(tx, callback.executionId, outcome);
    if (!finished) throw new AppError('conflict', `Run ${callback.executionId} has already ended`);
    return finished;
  });
  const view = agentRunView(run);
  return { executionId: view.id, status: view.status };
}
