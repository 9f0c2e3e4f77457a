/**
 * Row change capture for mutation observers, by construction like row-level security: after each
 * batch of migrations every tenant-scoped table gets a row trigger that, only while the transaction
 * switched capture on (`itops.capture`), appends the row's before and after images to a
 * transaction-local setting. The WHEN condition is evaluated without entering PL/pgSQL, so a table
 * nobody observes pays next to nothing; the setting vanishes with the transaction.
 *
 * At most `maxCapturedRows` rows are kept per transaction (a mass change would otherwise copy an
 * ever longer text per row); the rest are only counted (`itops.changes_dropped`).
 *
 * Observers read the changes either in JavaScript (`mutation.readChanges()`) or in SQL sent with the
 * COMMIT (`itops_captured_changes()`, `itops_changes_dropped()`). The trigger also sends each row to
 * the client as a notice, which arrives with the answer of the statement that changed it, so
 * `readChanges()` usually needs no round trip (see CapturedNotices).
 */

export const maxCapturedRows = 100;

/**
 * The publication that lists every captured table, for logical decoding (plugins/audit's WAL mode).
 * Kept by the migrations like the trigger; missing when the owner may not create publications.
 */
export const capturePublication = 'itops_captured';

/** SQLSTATEs of the notices the capture trigger sends its client: a captured row, and the first row beyond the limit. */
export const changeNoticeCode = 'IT001';
export const droppedNoticeCode = 'IT002';

/** Bookkeeping tables whose rows are no user's change (the outbox's events reach observers as events). */
const uncaptured = ['event_outbox', 'webhook_delivery', 'core_periodic_run'];

export const changeCaptureSql = `
CREATE OR REPLACE FUNCTION itops_capture_change() RETURNS trigger LANGUAGE plpgsql AS $capture$
DECLARE
  captured integer := coalesce(nullif(current_setting('itops.changes_count', true), ''), '0')::integer;
  dropped integer;
  line text;
  kept text;
BEGIN
  IF captured >= ${maxCapturedRows} THEN
    dropped := coalesce(nullif(current_setting('itops.changes_dropped', true), ''), '0')::integer + 1;
    PERFORM set_config('itops.changes_dropped', dropped::text, true);
    IF dropped = 1 THEN
      RAISE NOTICE USING ERRCODE = '${droppedNoticeCode}', MESSAGE = 'changes beyond the capture limit';
    END IF;
    RETURN NULL;
  END IF;
  -- Built as json text (no jsonb conversion) and kept by one assignment (no PERFORM, which is a
  -- query of its own): the trigger is paid in every audited write, and this made it cheaper
  -- (bench:audit-overhead). json copies a json column as written, so a line break in it (only ever
  -- whitespace between JSON tokens) becomes a space: the rows are kept one per line.
  line := replace(json_build_object(
    'table', TG_TABLE_NAME,
    'op', lower(TG_OP),
    'before', CASE WHEN TG_OP <> 'INSERT' THEN row_to_json(OLD) END,
    'after', CASE WHEN TG_OP <> 'DELETE' THEN row_to_json(NEW) END)::text, chr(10), ' ');
  kept := set_config('itops.changes_count', (captured + 1)::text, true)
       || set_config('itops.changes', coalesce(current_setting('itops.changes', true), '') || line || chr(10), true);
  -- The row travels to the client too, with this statement's answer: no round trip to read it.
  RAISE NOTICE USING ERRCODE = '${changeNoticeCode}', MESSAGE = (captured + 1)::text || ' ' || line;
  RETURN NULL;
END
$capture$;
CREATE OR REPLACE FUNCTION itops_captured_changes() RETURNS TABLE (ordinal bigint, change jsonb) LANGUAGE sql STABLE AS $changes$
  SELECT n, line::jsonb FROM unnest(string_to_array(current_setting('itops.changes', true), chr(10))) WITH ORDINALITY AS t(line, n)
  WHERE line <> ''
$changes$;
CREATE OR REPLACE FUNCTION itops_changes_dropped() RETURNS integer LANGUAGE sql STABLE AS $dropped$
  SELECT coalesce(nullif(current_setting('itops.changes_dropped', true), ''), '0')::integer
$dropped$;
-- Sent with the COMMIT by a transaction whose observers read its rows from the notices: a count that
-- differs (rows the notices announced were rolled back since) refuses the commit rather than record
-- changes that did not happen. It switches capture off too, so the observers' own statements that
-- follow it are not captured: one statement at the COMMIT instead of two.
CREATE OR REPLACE FUNCTION itops_check_captured(expected integer) RETURNS void LANGUAGE plpgsql AS $check$
DECLARE
  off text;
BEGIN
  IF coalesce(nullif(current_setting('itops.changes_count', true), ''), '0')::integer <> expected THEN
    RAISE EXCEPTION 'the captured rows changed after they were read' USING ERRCODE = 'serialization_failure';
  END IF;
  off := set_config('itops.capture', 'off', true);
END
$check$;
DO $attach$
DECLARE
  t record;
BEGIN
  FOR t IN
    SELECT c.relname
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND c.relname <> ALL (ARRAY[${uncaptured.map((name) => `'${name}'`).join(', ')}])
      AND NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid AND g.tgname = 'itops_change_capture')
  LOOP
    EXECUTE format(
      'CREATE TRIGGER itops_change_capture AFTER INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW WHEN (current_setting(%L, true) = %L) EXECUTE FUNCTION itops_capture_change()',
      t.relname, 'itops.capture', 'on');
  END LOOP;
END
$attach$;
DO $publish$
DECLARE
  t record;
BEGIN
  -- The same tables, for an observer that reads committed changes from the WAL (logical decoding)
  -- instead: each carries its old row in full (only written to the WAL at wal_level = logical, so
  -- free otherwise), and the publication ${capturePublication} lists it from the migration that made
  -- it on, before any change. A table whose capture trigger a plugin disabled is left out of both.
  FOR t IN
    SELECT c.oid::regclass AS rel
    FROM pg_class c
    JOIN pg_trigger g ON g.tgrelid = c.oid AND g.tgname = 'itops_change_capture' AND g.tgenabled <> 'D'
    WHERE c.relreplident <> 'f'
      -- A virtual generated column (PostgreSQL 18) cannot be published, and a full identity holding
      -- one refuses UPDATE and DELETE: such a table keeps its key as identity (no old rows).
      AND NOT EXISTS (SELECT 1 FROM pg_attribute v WHERE v.attrelid = c.oid AND v.attgenerated = 'v' AND NOT v.attisdropped)
  LOOP
    EXECUTE format('ALTER TABLE %s REPLICA IDENTITY FULL', t.rel);
  END LOOP;
  IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = '${capturePublication}') THEN
    BEGIN
      -- From PostgreSQL 18 a table whose full replica identity holds a stored generated column that
      -- the publication leaves out refuses UPDATE and DELETE; such columns are also in row_to_json.
      IF current_setting('server_version_num')::integer >= 180000 THEN
        CREATE PUBLICATION ${capturePublication} WITH (publish = 'insert, update, delete', publish_generated_columns = stored);
      ELSE
        CREATE PUBLICATION ${capturePublication} WITH (publish = 'insert, update, delete');
      END IF;
    EXCEPTION WHEN insufficient_privilege THEN
      RETURN; -- a role that may not create it: observers read rows by the trigger only
    END;
  END IF;
  FOR t IN
    SELECT c.oid::regclass AS rel
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_trigger g ON g.tgrelid = c.oid AND g.tgname = 'itops_change_capture' AND g.tgenabled <> 'D'
    WHERE n.nspname = current_schema() AND NOT c.relispartition
      AND NOT EXISTS (
        SELECT 1 FROM pg_publication_rel r JOIN pg_publication p ON p.oid = r.prpubid
        WHERE p.pubname = '${capturePublication}' AND r.prrelid = c.oid)
  LOOP
    EXECUTE format('ALTER PUBLICATION ${capturePublication} ADD TABLE %s', t.rel);
  END LOOP;
  FOR t IN
    SELECT r.prrelid::regclass AS rel
    FROM pg_publication_rel r
    JOIN pg_publication p ON p.oid = r.prpubid AND p.pubname = '${capturePublication}'
    WHERE NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = r.prrelid AND g.tgname = 'itops_change_capture' AND g.tgenabled <> 'D')
  LOOP
    EXECUTE format('ALTER PUBLICATION ${capturePublication} DROP TABLE %s', t.rel);
  END LOOP;
END
$publish$`;

/** Sent with BEGIN when the transaction belongs to an observed request; the notices must reach the client. */
export const startCaptureStatements = ["SET LOCAL itops.capture = 'on'", 'SET LOCAL client_min_messages = notice'];

/** Read by an observer that asks for the changes; capture goes off so the observers' own writes are not captured. */
export const capturedChangesSql =
  "SELECT current_setting('itops.changes', true) AS changes, current_setting('itops.changes_dropped', true) AS dropped, set_config('itops.capture', 'off', true) AS off";

/** Before an observer's first own write, when it did not read the changes (which turns capture off too). */
export const stopCaptureSql = "SELECT set_config('itops.capture', 'off', true)";
