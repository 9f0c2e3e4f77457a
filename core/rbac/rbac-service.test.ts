import t from 'tap';
import { Database } from '../db/database.ts';
import { createLogger } from '../logging/logger.ts';
import { cloneTestDatabase } from '../testing/test-database.ts';
import { RbacService } from './rbac-service.ts';

const permissions: { name: string; description: string; platform?: boolean }[] = [
  { name: 'monitors:read' },
  { name: 'monitors:write' },
  { name: 'monitors:delete' },
  { name: 'tickets:read' },
  { name: 'tickets:write' },
  { name: 'secrets:read' },
  { name: 'tenants:write', platform: true },
  { name: 'licenses:read', platform: true },
].map((p) => ({ description: `may ${p.name}`, ...p }));

const policies = [
  { role: 'viewer', permission: 'monitors:read' },
  { role: 'viewer', permission: 'tickets:read' },
  { role: 'ops_engineer', permission: 'monitors:*' },
  { role: 'ops_engineer', permission: 'tickets:write' },
  { role: 'platform_admin', permission: '*:*' },
];

// permissionsOf gathers the rules a role reaches instead of asking Casbin per permission: it must give
// exactly the answers the model's matcher gives, for declared rules, stored grants in one tenant or
// in all, and roles that inherit others (in a tenant or everywhere).
t.test('permissionsOf answers what allows answers, permission by permission', async (t) => {
  const clone = await cloneTestDatabase();
  const database = new Database(clone.url, 2, createLogger('silent'));
  t.teardown(async () => {
    await database.close();
    await clone.drop();
  });
  await database.platform.query(
    `INSERT INTO rbac_policy (ptype, v0, v1, v2, v3) VALUES
       ('p', 'viewer', 'acme', 'secrets', 'read'),
       ('p', 'billing', '*', 'tickets', '*'),
       ('g', 'auditor', 'viewer', 'acme', ''),
       ('g', 'lead', 'ops_engineer', '*', ''),
       ('g', 'trainee', 'lead', '*', ''),
       ('g', 'intern', 'lead', 'globex', '')`,
  );
  const rbac = new RbacService(database.query, createLogger('silent'));
  await rbac.reload({ permissions, policies });

  const roles = ['viewer', 'ops_engineer', 'msp_admin', 'billing', 'auditor', 'lead', 'trainee', 'intern', 'platform_admin', 'nobody'];
  for (const role of roles) {
    for (const tenant of ['acme', 'globex']) {
      const expected = permissions
        .filter((p) => rbac.allows(role, p.platform ? '*' : tenant, p.name))
        .map((p) => p.name)
        .sort();
      t.same(rbac.permissionsOf(role, tenant), expected, `${role} in ${tenant}`);
    }
  }

  t.same(rbac.permissionsOf('viewer', 'acme'), ['monitors:read', 'secrets:read', 'tickets:read'], 'a stored grant counts in its tenant');
  t.same(rbac.permissionsOf('viewer', 'globex'), ['monitors:read', 'tickets:read'], 'and only there');
  t.same(rbac.permissionsOf('auditor', 'acme'), ['monitors:read', 'secrets:read', 'tickets:read'], 'a role inherits in the tenant of its link');
  t.same(rbac.permissionsOf('auditor', 'globex'), [], 'and nowhere else');
  t.same(rbac.permissionsOf('trainee', 'globex'), ['monitors:delete', 'monitors:read', 'monitors:write', 'tickets:write'], 'links chain');
  t.same(rbac.permissionsOf('intern', 'globex'), [], 'but a link in one tenant does not chain into a link held everywhere, as in the matcher');
  t.same(
    rbac.permissionsOf('msp_admin', 'acme'),
    permissions
      .filter((p) => !p.platform)
      .map((p) => p.name)
      .sort(),
    'msp_admin holds every workspace permission, no platform one',
  );
  t.same(rbac.permissionsOf('platform_admin', 'acme'), permissions.map((p) => p.name).sort(), 'a wildcard rule covers every permission');
  t.same(rbac.shortfall('viewer', 'ops_engineer', 'acme'), ['monitors:delete', 'monitors:write', 'tickets:write'], 'shortfall builds on it');

  await rbac.grant('viewer', 'globex', 'monitors:write');
  t.same(rbac.permissionsOf('viewer', 'globex'), ['monitors:read', 'monitors:write', 'tickets:read'], 'a new grant shows at once');
  await rbac.revoke('viewer', 'globex', 'monitors:write');
  t.same(rbac.permissionsOf('viewer', 'globex'), ['monitors:read', 'tickets:read'], 'and a revoked one goes');
});
