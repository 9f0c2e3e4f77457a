DROP INDEX aiops_ingest_batch_key;
ALTER TABLE aiops_ingest_batch DROP COLUMN idempotency_key;
