import type { PermissionDeclaration, PolicyDeclaration } from '../../core/plugin-api/index.ts';

export const ticketingPermissions: PermissionDeclaration[] = [
  { name: 'ticketing.tickets:read', description: 'See tickets, their SLA state and timeline' },
  { name: 'ticketing.tickets:write', description: 'Open, change and comment on tickets' },
  { name: 'ticketing.tickets:delete', description: 'Delete tickets with their timeline' },
  { name: 'ticketing.sla_policies:read', description: 'See ticket SLA policies and their calendars' },
  { name: 'ticketing.sla_policies:write', description: 'Create, change and delete ticket SLA policies' },
  { name: 'ticketing.assets:read', description: 'See assets (CMDB)' },
  { name: 'ticketing.assets:write', description: 'Create, change and delete assets' },
  { name: 'ticketing.runbooks:read', description: 'See runbooks' },
  { name: 'ticketing.runbooks:write', description: 'Create, change and delete runbooks' },
  { name: 'ticketing.alert_rules:read', description: 'See the rules that turn alerts into tickets' },
  { name: 'ticketing.alert_rules:write', description: 'Create, change and delete the rules that turn alerts into tickets' },
  { name: 'ticketing.ops:read', description: 'See the ops workbench summary (incident, change and billing lanes)' },
  { name: 'ticketing.ops:write', description: 'Ops actions: link alerts, assets and runbooks to tickets, escalate and resolve' },
];

const readers = ['viewer', 'ops_engineer', 'automation_operator', 'integration_admin', 'data_admin'];

export const ticketingPolicies: PolicyDeclaration[] = [
  ...readers.flatMap((role) =>
    [
      'ticketing.tickets:read',
      'ticketing.sla_policies:read',
      'ticketing.assets:read',
      'ticketing.runbooks:read',
      'ticketing.alert_rules:read',
      'ticketing.ops:read',
    ].map((permission) => ({ role, permission })),
  ),
  // Billing reads the ops summary for its lane (billable time per client).
  { role: 'billing', permission: 'ticketing.ops:read' },
  ...[
    'ticketing.tickets:write',
    'ticketing.tickets:delete',
    'ticketing.sla_policies:write',
    'ticketing.assets:write',
    'ticketing.runbooks:write',
    'ticketing.alert_rules:write',
    'ticketing.ops:write',
  ].map((permission) => ({ role: 'ops_engineer', permission })),
  ...['ticketing.tickets:write', 'ticketing.assets:write', 'ticketing.runbooks:write'].map((permission) => ({ role: 'data_admin', permission })),
];
