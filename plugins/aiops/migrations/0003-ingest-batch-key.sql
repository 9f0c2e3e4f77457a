-- The Idempotency-Key (with its caller) a batch was sent under. The core replays a retried key's
-- answer, but a node killed between its commit and storing that answer leaves the key to a retry
-- that runs again: the batch's own unique key makes that retry find the batch instead of storing it twice.
ALTER TABLE aiops_ingest_batch ADD COLUMN idempotency_key text;
CREATE UNIQUE INDEX aiops_ingest_batch_key ON aiops_ingest_batch (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
