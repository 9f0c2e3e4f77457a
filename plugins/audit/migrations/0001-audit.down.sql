DROP TABLE IF EXISTS audit_retention;
DROP TABLE IF EXISTS audit_chain_head;
DROP TABLE IF EXISTS audit_record;
DROP FUNCTION IF EXISTS audit_record_append_only();
DROP FUNCTION IF EXISTS audit_record_hash(text, bigint, timestamptz, text, text, text, text, text, text, text, text, text, jsonb, jsonb);
