import { coreFragments } from '../contract/core-fragments.ts';
import { AppError } from '../errors/app-error.ts';
import type { CoreModule } from '../kernel/core-module.ts';
import { listEnvelope, parseListQuery } from '../lists/list-query.ts';
import type { OperationRequest, Principal } from '../plugin-api/index.ts';
import { channelSecretPrefix } from '../alerts/channels/channel-secrets.ts';
import { signingKeyPrefix } from '../webhooks/webhook-secrets.ts';
import type { SecretOwner, SecretStore } from './secret-store.ts';

export const secretPermissions: NonNullable<CoreModule['permissions']> = [
  { name: 'platform_secrets:read', description: 'List the platform’s secrets (names and versions, never values)', platform: true },
  { name: 'platform_secrets:write', description: 'Set the platform’s secrets', platform: true },
  { name: 'secrets:read', description: 'List the workspace’s secrets (names and versions, never values)' },
  { name: 'secrets:write', description: 'Set the workspace’s secrets' },
];

export const secretPolicies: NonNullable<CoreModule['policies']> = [
  { role: 'platform_admin', permission: 'platform_secrets:read' },
  { role: 'platform_admin', permission: 'platform_secrets:write' },
  // Channel URLs and adapter credentials are the integration admin's (seed 003's role model).
  { role: 'integration_admin', permission: 'secrets:read' },
  { role: 'integration_admin', permission: 'secrets:write' },
];

/** Who acted, as the events name them. */
export const actorOf = (principal: Principal | null): string => (principal ? `${principal.kind}:${principal.id}` : 'anonymous');

const sorts = { key: 'key', updatedAt: 'updated_at', createdAt: 'created_at' };

const managedSecrets = [
  { prefix: signingKeyPrefix, through: 'its webhook (POST /api/v1/webhooks/{id}/rotate-secret)' },
  { prefix: channelSecretPrefix, through: 'its channel (PUT /api/v1/channels/{id})' },
];

function workspaceOf(req: OperationRequest): string {
  if (!req.tenantId) throw new AppError('bad_request', 'Name the workspace in the x-workspace-id header');
  return req.tenantId;
}

async function listSecrets(store: SecretStore, owner: SecretOwner, req: OperationRequest) {
  const list = parseListQuery<keyof typeof sorts>(req.query, { sortable: sorts, defaultSort: 'key' });
  const { data, total } = await store.list(owner, list);
  return listEnvelope(data, total, list);
}

async function setSecret(store: SecretStore, owner: SecretOwner, req: OperationRequest<{ value: string }, { key: string }>) {
  // Webhook signing secrets and channel settings are set through their webhook or channel, which check them.
  const reserved = managedSecrets.find((m) => req.params.key.startsWith(m.prefix));
  if (reserved) {
    throw new AppError('validation_failed', `This secret is set through ${reserved.through}`, {
      details: [{ path: '/params/key', message: `names starting ${reserved.prefix} are reserved` }],
    });
  }
  const secret = await store.write(owner, req.params.key, req.body.value, actorOf(req.principal));
  return { status: secret.version === 1 ? 201 : 200, body: secret };
}

/** The secrets API: names and versions out, values in; values go out only to the code that uses them. */
export function secretsModule(deps: { store: SecretStore }): CoreModule {
  const { store } = deps;
  return {
    id: 'secrets',
    openapi: coreFragments.secrets,
    permissions: secretPermissions,
    policies: secretPolicies,
    handlers: {
      listPlatformSecrets: (req) => listSecrets(store, null, req),
      setPlatformSecret: (req) => setSecret(store, null, req),
      listWorkspaceSecrets: (req) => listSecrets(store, workspaceOf(req), req),
      setWorkspaceSecret: (req) => setSecret(store, workspaceOf(req), req),
    },
  };
}
