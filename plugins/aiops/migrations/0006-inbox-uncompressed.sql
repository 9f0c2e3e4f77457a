-- The watchdog's inbox lives from a batch's commit to its scoring, seconds later, and is then
-- cleared: compressing its arrays (pglz, about 40 kB per batch of 1,000 points) bought no lasting
-- space and cost the ingest a few per cent of its database time. Stored out of line as they are.
ALTER TABLE aiops_ingest_batch
  ALTER COLUMN inbox_services SET STORAGE EXTERNAL,
  ALTER COLUMN inbox_metrics SET STORAGE EXTERNAL,
  ALTER COLUMN inbox_times SET STORAGE EXTERNAL,
  ALTER COLUMN inbox_values SET STORAGE EXTERNAL;
