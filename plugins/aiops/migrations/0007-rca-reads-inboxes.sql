-- RCA reads a workspace's last 24 hours of metric points from its batches' inboxes (found by the
-- batch index on (tenant_id, received_at)) instead of from aiops_point by (tenant_id, ts). That
-- index cost every stored point a B-tree insertion and its WAL record, half of the points INSERT;
-- an inbox is already written with its batch and is now kept for a day after scoring (the hourly
-- retention clears it, found by the partial index below). aiops_point is left without an index:
-- it is written, and dropped by day.

-- Batches scored in the last day gave up their inbox when scored: RCA finds their points again.
-- One pass over the recent partitions (there is no index by batch).
UPDATE aiops_ingest_batch b
   SET inbox_services = p.services, inbox_metrics = p.metrics, inbox_times = p.times, inbox_values = p.vals
  FROM (SELECT batch_id,
               array_agg(service_id ORDER BY service_id, metric_name, ts) AS services,
               array_agg(metric_name ORDER BY service_id, metric_name, ts) AS metrics,
               array_agg(ts ORDER BY service_id, metric_name, ts) AS times,
               array_agg(value ORDER BY service_id, metric_name, ts) AS vals
          FROM aiops_point
         WHERE kind = 'metric' AND ts >= now() - interval '25 hours'
         GROUP BY batch_id) p
 WHERE b.id = p.batch_id AND b.inbox_services IS NULL AND b.scored_at IS NOT NULL
   AND b.received_at >= now() - interval '25 hours';

CREATE INDEX aiops_ingest_batch_inbox_kept ON aiops_ingest_batch (received_at) WHERE scored_at IS NOT NULL AND inbox_services IS NOT NULL;

DROP INDEX aiops_point_recent;
