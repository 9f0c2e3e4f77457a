/**
 * Row-level security for every tenant-scoped table, by construction: after each batch of
 * migrations, any table of the schema with a `tenant_id` column that lacks a policy gets one, so a
 * plugin author cannot forget it. The application role is not the owner of any table, so the
 * policies bind it; only the owner (the explicit platform handle, and migrations) sees across tenants.
 */

/** The role every tenant-scoped query runs as (`SET ROLE` at connection start). */
export const appRole = 'itops_app';
/** The session setting the policies read: the tenant a connection currently serves. */
export const tenantSetting = 'itops.tenant_id';

export const tenantIsolationSql = `
DO $isolation$
DECLARE
  t record;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${appRole}') THEN
    BEGIN
      CREATE ROLE ${appRole} NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
  END IF;
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AND NOT pg_has_role(current_user, '${appRole}', 'MEMBER') THEN
    EXECUTE format('GRANT ${appRole} TO %I', current_user);
  END IF;
  FOR t IN
    SELECT c.relname, format_type(a.atttypid, a.atttypmod) AS type
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
      AND NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation')
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t.relname);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I USING (tenant_id = nullif(current_setting(%L, true), '''')::%s) WITH CHECK (tenant_id = nullif(current_setting(%L, true), '''')::%s)',
      t.relname, '${tenantSetting}', t.type, '${tenantSetting}', t.type);
  END LOOP;
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO ${appRole}', current_schema());
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO ${appRole}', current_schema());
  EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO ${appRole}', current_schema());
END
$isolation$`;
