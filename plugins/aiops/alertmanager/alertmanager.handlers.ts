import type { OperationRequest } from '../../../core/plugin-api/index.ts';
import { type AlertmanagerDeps, type AlertmanagerPayload, ingestAlertmanager, workspaceOf } from './alertmanager-ingest.ts';
import { presentedSecret } from './receiver-credential.ts';

const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** POST /api/v1/alerts/webhook on the main port (public route: the contract validated the body; the ingest checks the workspace's credential). */
export async function receiveAlertmanagerWebhook(
  deps: AlertmanagerDeps,
  req: OperationRequest<AlertmanagerPayload, Record<string, string>, { workspace?: string }>,
) {
  const tenantId = workspaceOf(req.body, req.query.workspace, header(req.headers['x-workspace-id']));
  return ingestAlertmanager(deps, tenantId, req.body, presentedSecret(header(req.headers.authorization)));
}
