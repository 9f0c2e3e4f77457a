import { randomBytes } from 'node:crypto';
import { AppError, type ConfigService, type DatabaseService, type OperationRequest, type SecretsService, type Tx } from '../../../core/plugin-api/index.ts';
import type { ExecutionRow, WorkflowEngine } from '../engine/workflow-engine.ts';
import { headerValue, signatureMatches } from '../webhooks/hmac-signature.ts';
import type { WorkflowRow } from './workflows.handlers.ts';

/** The secret's name in the plugin's secrets (`automation.workflow_webhook.<id>`). */
const secretName = (workflowId: string) => `workflow_webhook.${workflowId}`;

export interface WorkflowWebhookDeps {
  database: DatabaseService;
  secrets: SecretsService;
  config: ConfigService;
  engine: WorkflowEngine;
}

type WebhookRow = Pick<WorkflowRow, 'id' | 'trigger' | 'webhook_secret_rotated_at'>;

/** A workflow's inbound URL; `secret` only where it was just created. */
function webhookOf(config: ConfigService, row: WebhookRow, secret?: string) {
  const rotatedAt = row.webhook_secret_rotated_at;
  return {
    url: config.absoluteUrl(`/api/v1/workflows/${row.id}/webhook`),
    secretRotatedAt: rotatedAt ? new Date(rotatedAt).toISOString() : null,
    ...(secret ? { secret } : {}),
  };
}

/** The `webhook` field of a workflow's view: webhook triggers only. */
export const webhookView = (config: ConfigService, row: WebhookRow, secret?: string) =>
  row.trigger.type === 'webhook' ? { webhook: webhookOf(config, row, secret) } : {};

/** A new secret for the workflow's inbound URL, in the caller's transaction: it counts from its commit. */
export async function issueWebhookSecret(tx: Tx, secrets: SecretsService, row: WebhookRow): Promise<{ row: WebhookRow; secret: string }> {
  const secret = `whsec_${randomBytes(32).toString('base64url')}`;
  await secrets.write(tx.tenantId, secretName(row.id), secret, tx);
  const [updated] = await tx.query<WebhookRow>(
    'UPDATE workflow SET webhook_secret_rotated_at = clock_timestamp() WHERE id = ? RETURNING id, trigger, webhook_secret_rotated_at',
    [row.id],
  );
  return { row: updated as WebhookRow, secret };
}

/**
 * A write that leaves a workflow webhook-triggered without a secret gives it one, shown in that
 * write's response only. Workflows imported from templates get theirs by rotation.
 */
export async function ensureWebhookSecret(tx: Tx, secrets: SecretsService, row: WorkflowRow): Promise<{ row: WorkflowRow; secret?: string }> {
  if (row.trigger.type !== 'webhook' || row.webhook_secret_rotated_at) return { row };
  const issued = await issueWebhookSecret(tx, secrets, row);
  return { row: { ...row, webhook_secret_rotated_at: issued.row.webhook_secret_rotated_at }, secret: issued.secret };
}

export async function rotateWorkflowWebhookSecret(deps: WorkflowWebhookDeps, req: OperationRequest<unknown, { id: string }> & { tenantId: string }) {
  return deps.database.forTenant(req.tenantId).transaction(async (tx) => {
    const [row] = await tx.query<WebhookRow>('SELECT id, trigger, webhook_secret_rotated_at FROM workflow WHERE id = ? FOR UPDATE', [req.params.id]);
    if (!row) throw new AppError('not_found', `Workflow ${req.params.id} was not found`);
    if (row.trigger.type !== 'webhook')
      throw new AppError('conflict', `Workflow ${row.id} is triggered by ${row.trigger.type}, not by webhook: it has no inbound URL`, {
        details: { trigger: row.trigger.type },
      });
    const issued = await issueWebhookSecret(tx, deps.secrets, row);
    return webhookOf(deps.config, issued.row, issued.secret);
  });
}

interface HookedWorkflow extends WebhookRow {
  tenant_id: string;
  version: number;
  name: string;
  enabled: boolean;
}

function inputOf(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new AppError('invalid_json', 'The body is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AppError('bad_request', 'The body is not a JSON object');
  return value as Record<string, unknown>;
}

/**
 * The workflow's inbound URL. The call names no workspace: the workflow's id finds it. The
 * signature is checked on the delivery id and the exact bytes before anything is parsed; the
 * delivery id is the execution's trigger reference (unique per workflow), so a delivery starts at
 * most one execution however often it arrives.
 */
export async function receiveWorkflowWebhook(deps: WorkflowWebhookDeps, req: OperationRequest<Buffer, { id: string }>) {
  const [workflow] = await deps.database.platform.query<HookedWorkflow>(
    'SELECT id, tenant_id, version, name, enabled, trigger, webhook_secret_rotated_at FROM workflow WHERE id = ?',
    [req.params.id],
  );
  if (workflow?.trigger.type !== 'webhook') throw new AppError('not_found', `No webhook-triggered workflow ${req.params.id}`);
  const delivery = headerValue(req.headers, 'x-itops-delivery');
  if (!delivery) throw new AppError('bad_request', 'x-itops-delivery is required');
  const body = req.body ?? Buffer.alloc(0);
  const secret = workflow.webhook_secret_rotated_at ? await deps.secrets.readToVerify(workflow.tenant_id, secretName(workflow.id)) : undefined;
  const signed = Buffer.concat([Buffer.from(`${delivery}.`, 'utf8'), body]);
  if (!secret || !signatureMatches(secret, signed, headerValue(req.headers, 'x-itops-signature')))
    throw new AppError('unauthorized', 'x-itops-signature is missing or does not match the delivery id and body');
  const input = inputOf(body);
  if (!workflow.enabled) throw new AppError('conflict', `Workflow ${workflow.name} is disabled`);

  const ref = `webhook:${delivery}`;
  return deps.database.forTenant(workflow.tenant_id).transaction(async (tx) => {
    const started = await deps.engine.start(tx, workflow, {
      kind: 'webhook',
      ref,
      input,
      trigger: { kind: 'webhook', deliveryId: delivery },
      createdBy: 'webhook',
    });
    if (started) return { status: 202, body: { executionId: started.id, workflowId: workflow.id, status: started.status, duplicate: false } };
    const [seen] = await tx.query<Pick<ExecutionRow, 'id' | 'status'>>('SELECT id, status FROM workflow_execution WHERE workflow_id = ? AND trigger_ref = ?', [
      workflow.id,
      ref,
    ]);
    // Neither started nor seen: the workflow was deleted meanwhile.
    if (!seen) throw new AppError('not_found', `No webhook-triggered workflow ${req.params.id}`);
    return { status: 200, body: { executionId: seen.id, workflowId: workflow.id, status: seen.status, duplicate: true } };
  });
}
