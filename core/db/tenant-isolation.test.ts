import t from 'tap';
import type { Kernel } from '../kernel/kernel.ts';
import { startTestKernel } from '../testing/test-kernel.ts';
import { appRole } from './tenant-isolation.ts';

/**
 * Isolation must hold for every tenant-scoped table any first-party migration creates, including
 * tables added later: so the tables are read from the catalog, never listed by hand.
 */

interface TenantTable {
  table: string;
  owner: string;
  rls: boolean;
  policies: string[];
}

async function tenantTables(kernel: Kernel): Promise<TenantTable[]> {
  return kernel.database.platform.query<TenantTable>(
    `SELECT c.relname AS "table", pg_get_userbyid(c.relowner) AS owner, c.relrowsecurity AS rls,
            coalesce((SELECT array_agg(p.polname ORDER BY p.polname) FROM pg_policy p WHERE p.polrelid = c.oid), '{}') AS policies
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      ORDER BY c.relname`,
  );
}

interface Column {
  name: string;
  type: string;
  category: string;
  enum_label: string | null;
  check_def: string | null;
}

/** The columns a row must name: NOT NULL, without a default, not generated. */
async function requiredColumns(kernel: Kernel, table: string): Promise<Column[]> {
  return kernel.database.platform.query<Column>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, ty.typcategory AS category,
            (SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = a.atttypid ORDER BY e.enumsortorder LIMIT 1) AS enum_label,
            (SELECT pg_get_constraintdef(k.oid) FROM pg_constraint k
              WHERE k.conrelid = a.attrelid AND k.contype = 'c' AND k.conkey = ARRAY[a.attnum] LIMIT 1) AS check_def
       FROM pg_attribute a
       JOIN pg_type ty ON ty.oid = a.atttypid
      WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull
        AND NOT a.atthasdef AND a.attidentity = '' AND a.attgenerated = '' AND a.attname <> 'tenant_id'
      ORDER BY a.attnum`,
    [`public.${table}`],
  );
}

/**
 * A plausible value for a column, by its type: enough for a row to pass NOT NULL, type and most
 * CHECK constraints. Numbers and times grow with the column's position, which satisfies checks
 * such as `interval_seconds > timeout_seconds` or `ends_at > starts_at` between later and earlier columns.
 */
function valueFor(column: Column, position: number): string {
  const type = column.type.replace(/\(.*\)/, '');
  if (column.enum_label !== null) return `'${column.enum_label.replaceAll("'", "''")}'`;
  // A CHECK that lists the allowed values (`kind IN ('a', 'b')`): its first value is allowed.
  const allowed = column.check_def?.match(/'((?:[^']|'')*)'::/);
  if (allowed) return `'${allowed[1]}'`;
  if (column.category === 'A') return `'{}'`;
  if (type === 'uuid') return 'gen_random_uuid()';
  if (type === 'jsonb' || type === 'json') return `'{}'`;
  if (type === 'bytea') return `'\\x00'`;
  if (type === 'inet' || type === 'cidr') return `'127.0.0.1'`;
  if (column.category === 'N') return String(position + 1);
  if (column.category === 'B') return 'false';
  if (column.category === 'D') return `now() + interval '${position} minutes'`;
  if (column.category === 'T') return `'1 minute'`;
  return `'isolation-${Math.random().toString(36).slice(2, 10)}'`;
}

/** Columns a table's CHECKs across columns need beyond the required ones (`kind = 'period'` needs a period). */
const extraColumns: Record<string, Record<string, string>> = {
  heartbeat: { period_seconds: '60' },
  monitor_badge: { token: 'md5(random()::text)' },
  // Its CHECK is a pattern, not a list of values: the generic text would be the pattern itself.
  workspace_secret: { key: `'isolation_key'` },
  // ISO 4217 codes: three letters, where the generic text is longer.
  portal_quote: { currency: `'EUR'` },
  portal_invoice: { currency: `'EUR'` },
  portal_payment: { currency: `'EUR'` },
};

async function rowSql(kernel: Kernel, table: string, tenantId: string): Promise<string> {
  const extra = Object.entries(extraColumns[table] ?? {});
  // A column given in extraColumns replaces the generic value its type would get.
  const columns = (await requiredColumns(kernel, table)).filter((column) => !extra.some(([name]) => name === column.name));
  const names = ['tenant_id', ...columns.map((c) => `"${c.name}"`), ...extra.map(([name]) => `"${name}"`)];
  const values = [`'${tenantId}'`, ...columns.map((column, position) => valueFor(column, position)), ...extra.map(([, value]) => value)];
  return `INSERT INTO "${table}" (${names.join(', ')}) VALUES (${values.join(', ')})`;
}

const count = async (query: (sql: string) => Promise<{ n: string }[]>, table: string) => Number((await query(`SELECT count(*) AS n FROM "${table}"`))[0].n);

t.test('every tenant-scoped table is under row-level security, and the application role owns none', async (t) => {
  const kernel = await startTestKernel(t, { firstParty: true });
  const tables = await tenantTables(kernel);
  t.ok(tables.length >= 10, `found ${tables.length} tenant-scoped tables`);
  for (const table of ['tenant', 'alert', 'event_outbox'])
    t.ok(
      tables.some((row) => row.table === table),
      `${table} is among them`,
    );
  for (const { table, owner, rls, policies } of tables) {
    t.ok(rls, `${table}: row-level security enabled`);
    t.ok(policies.includes('tenant_isolation'), `${table}: has the tenant_isolation policy`);
    t.not(owner, appRole, `${table}: not owned by ${appRole} (an owner bypasses its policies)`);
  }
  const [{ bypass }] = await kernel.database.platform.query<{ bypass: boolean }>('SELECT rolbypassrls OR rolsuper AS bypass FROM pg_roles WHERE rolname = ?', [
    appRole,
  ]);
  t.equal(bypass, false, `${appRole} cannot bypass row-level security`);
});

t.test("a tenant's handle sees none of another tenant's rows and cannot write them, in every tenant-scoped table", async (t) => {
  const kernel = await startTestKernel(t, { firstParty: true });
  const platform = kernel.database.platform;
  await platform.query("INSERT INTO tenant (tenant_id, name) VALUES ('tenant-a', 'Tenant A'), ('tenant-b', 'Tenant B') ON CONFLICT DO NOTHING");
  const a = kernel.database.forTenant('tenant-a');
  const b = kernel.database.forTenant('tenant-b');

  // The tenant table took its rows above.
  const seeded: string[] = ['tenant'];
  const unseeded: string[] = [];
  for (const { table } of await tenantTables(kernel)) {
    if (table === 'tenant') continue;
    const insert = await rowSql(kernel, table, 'tenant-a');
    try {
      // Foreign keys are not what this test is about: skip their triggers so any table takes a row.
      await platform.transaction(async (tx) => {
        await tx.query('SET LOCAL session_replication_role = replica');
        await tx.query(insert);
      });
      seeded.push(table);
    } catch (error) {
      unseeded.push(`${table} (${(error as Error).message})`);
    }
  }
  t.same(unseeded, [], `a row of tenant a went into each of the ${seeded.length} tables (a table a generic row cannot satisfy needs an entry in extraColumns)`);

  for (const table of seeded) {
    const owned = async (tenantId: string) =>
      Number((await platform.query<{ n: string }>(`SELECT count(*) AS n FROM "${table}" WHERE tenant_id = ?`, [tenantId]))[0].n);
    const ofA = await owned('tenant-a');
    t.ok(ofA >= 1, `${table}: holds a row of tenant a`);
    t.equal(await count(a.query, table), ofA, `${table}: tenant a sees its rows`);
    t.equal(await count(b.query, table), await owned('tenant-b'), `${table}: tenant b sees only its own rows, none of a's, without any WHERE clause`);
    await t.rejects(b.query(await rowSql(kernel, table, 'tenant-a')), { code: '42501' }, `${table}: tenant b cannot insert a row of tenant a`);
    const touched = await b.query(`UPDATE "${table}" SET tenant_id = tenant_id WHERE tenant_id = 'tenant-a' RETURNING 1`);
    t.equal(touched.length, 0, `${table}: tenant b updates none of a's rows, even when it names them`);
    const deleted = await b.query(`DELETE FROM "${table}" WHERE tenant_id = 'tenant-a' RETURNING 1`);
    t.equal(deleted.length, 0, `${table}: tenant b deletes none of a's rows`);
    t.equal(await owned('tenant-a'), ofA, `${table}: a's rows are all still there`);
  }
  t.equal(await count(b.query, 'tenant'), 1, 'tenant b sees only its own workspace row');
  t.equal(await count(platform.query, 'tenant'), 2, 'the platform handle sees across tenants');
});
