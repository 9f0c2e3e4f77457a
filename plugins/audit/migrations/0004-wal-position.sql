-- Records written from the WAL (logical decoding, recording/wal-consumer.ts) instead of inside the
-- changing transaction. The consumer's position, the commit LSN of the last transaction it made
-- records of, is written in the same transaction as those records: a consumer restarted between that
-- commit and releasing its slot gets those transactions again and skips them, none lost or repeated.
CREATE TABLE audit_wal_position (
  slot        text PRIMARY KEY,
  commit_lsn  pg_lsn NOT NULL
);
-- The owner's only: row-level security without a policy hides it from the application role.
ALTER TABLE audit_wal_position ENABLE ROW LEVEL SECURITY;

-- The trail's own tables are no change to record: their capture trigger is disabled, which also keeps
-- them out of the publication the WAL consumer reads (each record and each seal would otherwise come
-- back through the WAL). The trigger is the core's (created here when it is not there yet).
CREATE OR REPLACE TRIGGER itops_change_capture AFTER INSERT OR UPDATE OR DELETE ON audit_record
  FOR EACH ROW WHEN (current_setting('itops.capture', true) = 'on') EXECUTE FUNCTION itops_capture_change();
ALTER TABLE audit_record DISABLE TRIGGER itops_change_capture;
CREATE OR REPLACE TRIGGER itops_change_capture AFTER INSERT OR UPDATE OR DELETE ON audit_chain_head
  FOR EACH ROW WHEN (current_setting('itops.capture', true) = 'on') EXECUTE FUNCTION itops_capture_change();
ALTER TABLE audit_chain_head DISABLE TRIGGER itops_change_capture;
