import type { PermissionDeclaration, PolicyDeclaration } from '../../core/plugin-api/index.ts';

export const portalPermissions: PermissionDeclaration[] = [
  { name: 'portal.clients:read', description: 'See the workspace’s clients' },
  { name: 'portal.clients:write', description: 'Add, change and delete clients' },
  { name: 'portal.invites:read', description: 'See portal invites' },
  { name: 'portal.invites:write', description: 'Invite a client’s people to the portal and revoke invites' },
  // Only msp_admin by default: the token acts as the client in the portal.
  { name: 'portal.sessions:issue', description: 'Issue a short-lived token that opens a client’s portal session' },
  { name: 'portal.quotes:read', description: 'See quotes' },
  { name: 'portal.quotes:write', description: 'Create, change and delete quotes' },
  { name: 'portal.invoices:read', description: 'See invoices and payments' },
  { name: 'portal.invoices:write', description: 'Create, change and delete invoices' },
  { name: 'portal.accounting:sync', description: 'Export invoices and payments to the accounting system' },
  { name: 'portal.articles:read', description: 'See knowledge-base articles, internal ones too' },
  { name: 'portal.articles:write', description: 'Write knowledge-base articles' },
  { name: 'portal.self:read', description: 'A portal session: read its own client’s tickets, quotes, invoices, articles and summary' },
  { name: 'portal.self:write', description: 'A portal session: open and update tickets, decide quotes, acknowledge and pay invoices' },
];

const staffReaders = ['viewer', 'ops_engineer', 'automation_operator', 'integration_admin', 'data_admin'];

// msp_admin holds every workspace permission; the portal permissions go to client_portal only, so a
// staff member never acts "as a client" by role alone.
export const portalPolicies: PolicyDeclaration[] = [
  ...staffReaders.flatMap((role) => ['portal.clients:read', 'portal.articles:read'].map((permission) => ({ role, permission }))),
  ...['portal.clients:write', 'portal.invites:read', 'portal.invites:write', 'portal.articles:write'].map((permission) => ({
    role: 'ops_engineer',
    permission,
  })),
  ...['portal.clients:write', 'portal.articles:write'].map((permission) => ({ role: 'data_admin', permission })),
  ...['portal.clients:read', 'portal.quotes:read', 'portal.quotes:write', 'portal.invoices:read', 'portal.invoices:write', 'portal.accounting:sync'].map(
    (permission) => ({ role: 'billing', permission }),
  ),
  ...['portal.invoices:read', 'portal.accounting:sync'].map((permission) => ({ role: 'integration_admin', permission })),
  { role: 'client_portal', permission: 'portal.self:read' },
  { role: 'client_portal', permission: 'portal.self:write' },
];
