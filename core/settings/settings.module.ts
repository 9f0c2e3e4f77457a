import { coreFragments } from '../contract/core-fragments.ts';
import { AppError } from '../errors/app-error.ts';
import type { CoreModule } from '../kernel/core-module.ts';
import type { OperationRequest } from '../plugin-api/index.ts';
import { workspaceRoles } from '../rbac/roles.ts';
import { actorOf } from '../secrets/secrets.module.ts';
import type { SettingsSchemas, SettingsScope } from './settings-schema.ts';
import type { SettingsOwner, SettingsStore } from './settings-store.ts';

export const settingsPermissions: NonNullable<CoreModule['permissions']> = [
  { name: 'platform_settings:read', description: 'Read the platform’s settings', platform: true },
  { name: 'platform_settings:write', description: 'Change the platform’s settings', platform: true },
  { name: 'settings:read', description: 'Read the workspace’s settings' },
  { name: 'settings:write', description: 'Change the workspace’s settings' },
];

/** Everyone working in a workspace reads its settings (time zone, locale); agents and portal users do not. */
const readers = workspaceRoles.filter((role) => role !== 'endpoint_agent' && role !== 'client_portal');

export const settingsPolicies: NonNullable<CoreModule['policies']> = [
  { role: 'platform_admin', permission: 'platform_settings:read' },
  { role: 'platform_admin', permission: 'platform_settings:write' },
  ...readers.map((role) => ({ role, permission: 'settings:read' })),
];

type Change = { settings: Record<string, Record<string, unknown>>; version?: number };

function workspaceOf(req: OperationRequest): string {
  if (!req.tenantId) throw new AppError('bad_request', 'Name the workspace in the x-workspace-id header');
  return req.tenantId;
}

/** The settings API: values with defaults, changes validated by the sections' schemas. */
export function settingsModule(deps: { store: SettingsStore; schemas: Record<SettingsScope, SettingsSchemas> }): CoreModule {
  const { store, schemas } = deps;
  const update = (owner: SettingsOwner, req: OperationRequest<Change>) => store.put(owner, req.body.settings, actorOf(req.principal), req.body.version);
  return {
    id: 'settings',
    openapi: coreFragments.settings,
    permissions: settingsPermissions,
    policies: settingsPolicies,
    handlers: {
      getPlatformSettings: () => store.get(null),
      updatePlatformSettings: (req) => update(null, req),
      getPlatformSettingsSchema: () => schemas.platform.current().schema,
      getWorkspaceSettings: (req) => store.get(workspaceOf(req)),
      updateWorkspaceSettings: (req) => update(workspaceOf(req), req),
      getWorkspaceSettingsSchema: (req) => {
        workspaceOf(req);
        return schemas.workspace.current().schema;
      },
    },
  };
}
