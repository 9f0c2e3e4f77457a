/**
 * The role model of the workspace API (seed 003) with the access levels of the AIOps API (seed 002).
 * `platform_admin` acts outside workspaces (tenants, licenses, platform settings); every other role
 * is held in a workspace through a membership or an API key's scope.
 */
export const roles = {
  platform_admin: { level: 4, platform: true, description: 'Non-tenant platform configuration and secret management' },
  msp_admin: { level: 3, platform: false, description: 'Full access within a workspace' },
  ops_engineer: { level: 2, platform: false, description: 'Operations, telemetry and execution access' },
  automation_operator: { level: 2, platform: false, description: 'Allowed to execute agents' },
  integration_admin: { level: 2, platform: false, description: 'Accounting and notification adapter operations' },
  data_admin: { level: 2, platform: false, description: 'Import/export and broad write capabilities' },
  billing: { level: 1, platform: false, description: 'Financial resource access' },
  viewer: { level: 1, platform: false, description: 'Read-only operational visibility' },
  endpoint_agent: { level: 1, platform: false, description: 'Telemetry ingest and edge policy access' },
  client_portal: { level: 1, platform: false, description: 'Scoped client-facing read access' },
} as const;

export type RoleName = keyof typeof roles;

export const workspaceRoles = Object.keys(roles).filter((r) => !roles[r as RoleName].platform) as RoleName[];

export function isRole(value: string): value is RoleName {
  return Object.hasOwn(roles, value);
}

export function roleLevel(role: string): number {
  return isRole(role) ? roles[role].level : 0;
}

/** API key scopes: any workspace role, or one of these shorthands (seed 002 uses `ingestion`). */
export const scopeAliases: Record<string, RoleName> = { ingestion: 'endpoint_agent', read: 'viewer', write: 'ops_engineer', admin: 'msp_admin' };

export function roleOfScope(scope: string): RoleName | undefined {
  if (Object.hasOwn(scopeAliases, scope)) return scopeAliases[scope];
  return isRole(scope) && !roles[scope].platform ? scope : undefined;
}

/**
 * Held by every signed-in user, whatever workspaces they belong to (none, too): only for what
 * concerns the user themselves, such as answering invitations. Never assignable.
 */
export const signedInRole = 'signed_in';
