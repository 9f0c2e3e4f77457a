import type { GraphQLContext } from '../plugin-api/index.ts';
import { coreFragments } from '../contract/core-fragments.ts';
import type { CoreModule } from '../kernel/core-module.ts';
import type { RegisteredResolver } from '../graphql/schema-builder.ts';
import { signedInRole, workspaceRoles } from '../rbac/roles.ts';
import { type IdentityDependencies, identityHandlers } from './identity.handlers.ts';

const sdl = `
type AuthUser { id: ID! email: String! }
type AuthPayload { token: String! refreshToken: String! expiresIn: Int! user: AuthUser! }
extend type Mutation {
  "Email and password login; the token goes in Authorization: Bearer."
  login(email: String!, password: String!): AuthPayload!
  "Rotates a refresh token (single use; reuse revokes the login)."
  refreshToken(refreshToken: String!): AuthPayload!
  "Revokes the refresh token and its family."
  logout(refreshToken: String!): Boolean!
}
`;

const everyone = [...workspaceRoles];

export const identityPermissions: NonNullable<CoreModule['permissions']> = [
  { name: 'profile:read', description: 'See who the credentials belong to', platform: true },
  { name: 'tenants:read', description: 'List all tenants', platform: true },
  { name: 'tenants:write', description: 'Register tenants', platform: true },
  { name: 'users:write', description: 'Create users', platform: true },
  { name: 'members:read', description: 'List workspace members' },
  { name: 'members:write', description: 'Invite, change and remove workspace members' },
  { name: 'invitations:respond', description: 'See and accept one’s own invitations to workspaces', platform: true },
  { name: 'rbac:read', description: 'Read one’s own effective permissions' },
  { name: 'apikeys:read', description: 'List the workspace’s API keys' },
  { name: 'apikeys:write', description: 'Create and revoke the workspace’s API keys' },
];

export const identityPolicies: NonNullable<CoreModule['policies']> = [
  ...['profile:read', 'tenants:read', 'tenants:write', 'users:write'].map((permission) => ({ role: 'platform_admin', permission })),
  ...everyone.map((role) => ({ role, permission: 'profile:read' })),
  ...everyone.map((role) => ({ role, permission: 'rbac:read' })),
  { role: signedInRole, permission: 'invitations:respond' },
  { role: 'ops_engineer', permission: 'members:read' },
  { role: 'integration_admin', permission: 'apikeys:read' },
  { role: 'integration_admin', permission: 'apikeys:write' },
];

/** Tenants, users, login, API keys and effective permissions. */
export function identityModule(deps: IdentityDependencies): CoreModule {
  const resolvers: RegisteredResolver[] = [
    {
      owner: 'core',
      typeName: 'Mutation',
      fieldName: 'login',
      resolver: (_p, args: { email: string; password: string }, ctx: GraphQLContext) => deps.auth.login(args.email, args.password, ctx.clientAddress),
    },
    { owner: 'core', typeName: 'Mutation', fieldName: 'refreshToken', resolver: (_p, args: { refreshToken: string }) => deps.auth.refresh(args.refreshToken) },
    {
      owner: 'core',
      typeName: 'Mutation',
      fieldName: 'logout',
      resolver: async (_p, args: { refreshToken: string }) => {
        await deps.auth.logout(args.refreshToken);
        return true;
      },
    },
  ];
  return {
    id: 'identity',
    openapi: coreFragments.identity,
    sdl,
    resolvers,
    handlers: identityHandlers(deps),
    permissions: identityPermissions,
    policies: identityPolicies,
  };
}
