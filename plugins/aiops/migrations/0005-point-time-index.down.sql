DROP INDEX aiops_point_recent;
CREATE INDEX aiops_point_series ON aiops_point (tenant_id, service_id, metric_name, ts);
