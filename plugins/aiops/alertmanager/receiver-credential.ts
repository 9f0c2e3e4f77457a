import { createHash, randomBytes } from 'node:crypto';
import { AppError, type DatabaseService, type OperationRequest } from '../../../core/plugin-api/index.ts';

/** `workspace`: each delivery must carry the named workspace's credential; `none`: seed 002's open receiver. */
export type ReceiverAuth = 'workspace' | 'none';

export interface ReceiverCredentialDeps {
  database: DatabaseService;
  clock: () => Date;
  auth: ReceiverAuth;
}

type TenantRequest = OperationRequest & { tenantId: string };

const webhookPath = (tenantId: string) => `/api/v1/alerts/webhook?workspace=${encodeURIComponent(tenantId)}`;
const sha256 = (text: string) => createHash('sha256').update(text).digest();

/**
 * The secret a delivery presents: Alertmanager's `http_config.authorization` (Bearer) or the password
 * of its `basic_auth` (the user name is not checked: the credential alone names its workspace's right).
 */
export function presentedSecret(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const [scheme, value = ''] = authorization.trim().split(/\s+/, 2);
  if (/^bearer$/i.test(scheme)) return value || undefined;
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 && colon < decoded.length - 1 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}

export const refused = () =>
  new AppError('unauthorized', "The Alertmanager receiver needs the workspace's receiver credential (Bearer, or the basic-auth password)");

/**
 * What is stored of a credential and what a delivery's secret is compared with, in the workspace's
 * own transaction (row-level security: another workspace's row is not even visible there). A
 * SHA-256 of 32 random bytes: comparing digests in SQL tells a timing observer nothing usable about
 * the secret. No credential, an unknown workspace, a wrong or another workspace's credential all
 * answer the same 401.
 */
export const receiverSecretHash = (secret: string) => sha256(secret).toString('hex');

export async function getAlertmanagerReceiver(deps: ReceiverCredentialDeps, req: TenantRequest) {
  const [row] = await deps.database
    .forTenant(req.tenantId)
    .query<{ secret_prefix: string; rotated_at: Date }>('SELECT secret_prefix, rotated_at FROM aiops_am_receiver');
  return {
    workspace_id: req.tenantId,
    auth: deps.auth,
    configured: Boolean(row),
    secret_prefix: row?.secret_prefix ?? null,
    rotated_at: row ? new Date(row.rotated_at).toISOString() : null,
    webhook_path: webhookPath(req.tenantId),
  };
}

/** A new credential replaces the old one at once; only its SHA-256 and a 12-character prefix are kept. */
export async function rotateAlertmanagerReceiver(deps: ReceiverCredentialDeps, req: TenantRequest) {
  const secret = `amr_${randomBytes(32).toString('base64url')}`;
  const prefix = secret.slice(0, 12);
  const now = deps.clock().toISOString();
  await deps.database.forTenant(req.tenantId).query(
    `INSERT INTO aiops_am_receiver (tenant_id, secret_hash, secret_prefix, created_at, rotated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (tenant_id) DO UPDATE SET secret_hash = excluded.secret_hash, secret_prefix = excluded.secret_prefix, rotated_at = excluded.rotated_at`,
    [req.tenantId, receiverSecretHash(secret), prefix, now, now],
  );
  return { workspace_id: req.tenantId, receiver_secret: secret, secret_prefix: prefix, rotated_at: now, webhook_path: webhookPath(req.tenantId) };
}
