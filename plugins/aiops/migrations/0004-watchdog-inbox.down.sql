CREATE INDEX aiops_point_batch ON aiops_point (batch_id);
ALTER TABLE aiops_ingest_batch DROP COLUMN inbox_services, DROP COLUMN inbox_metrics, DROP COLUMN inbox_times, DROP COLUMN inbox_values;
