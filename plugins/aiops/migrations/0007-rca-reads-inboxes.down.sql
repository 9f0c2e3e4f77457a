CREATE INDEX aiops_point_recent ON aiops_point (tenant_id, ts);
DROP INDEX aiops_ingest_batch_inbox_kept;
-- The version before this one empties an inbox when it scores the batch, and never afterwards.
UPDATE aiops_ingest_batch SET inbox_services = NULL, inbox_metrics = NULL, inbox_times = NULL, inbox_values = NULL
 WHERE scored_at IS NOT NULL AND inbox_services IS NOT NULL;
