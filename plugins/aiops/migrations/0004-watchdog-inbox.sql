-- The watchdog's inbox: a batch's metric points travel to the watchdog in the batch's own row
-- (four arrays, one TOASTed tuple per batch) instead of being read back from aiops_point by
-- batch_id. The index on aiops_point (batch_id) cost every stored point an index entry, about a
-- fifth of the ingest's database work, only so that each point could be read once; scoring clears
-- the inbox.
ALTER TABLE aiops_ingest_batch
  ADD COLUMN inbox_services text[],
  ADD COLUMN inbox_metrics text[],
  ADD COLUMN inbox_times timestamptz[],
  ADD COLUMN inbox_values float8[];

-- Batches stored before this migration and not yet scored keep their place in the queue.
UPDATE aiops_ingest_batch b
   SET (inbox_services, inbox_metrics, inbox_times, inbox_values) = (
         SELECT array_agg(p.service_id ORDER BY p.service_id, p.metric_name, p.ts),
                array_agg(p.metric_name ORDER BY p.service_id, p.metric_name, p.ts),
                array_agg(p.ts ORDER BY p.service_id, p.metric_name, p.ts),
                array_agg(p.value ORDER BY p.service_id, p.metric_name, p.ts)
           FROM aiops_point p
          WHERE p.batch_id = b.id AND p.kind = 'metric')
 WHERE b.scored_at IS NULL AND b.points > 0;

DROP INDEX aiops_point_batch;
