import type { OperationRequest } from '../../../core/plugin-api/index.ts';
import { type AlertmanagerDeps, type AlertmanagerPayload, checkReceiverAuth, ingestAlertmanager, workspaceOf } from './alertmanager-ingest.ts';

const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** POST /api/v1/alerts/webhook on the main port (public route: the contract validated the body). */
export async function receiveAlertmanagerWebhook(
  deps: AlertmanagerDeps,
  req: OperationRequest<AlertmanagerPayload, Record<string, string>, { workspace?: string }>,
) {
  checkReceiverAuth(deps, header(req.headers.authorization));
  const tenantId = workspaceOf(req.body, req.query.workspace, header(req.headers['x-workspace-id']));
  return ingestAlertmanager(deps, tenantId, req.body);
}
