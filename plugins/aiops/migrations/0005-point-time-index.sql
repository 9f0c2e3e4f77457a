-- The one query that finds points by index is RCA's: a workspace's metric points since a moment
-- (rca.handlers.ts). The series index (tenant, service, metric, ts) served it only by its first
-- column, yet cost every stored point two text comparisons per level of a deeper tree. An index
-- on (tenant, ts) serves that query by both columns and takes each batch's points near its
-- right edge.
DROP INDEX aiops_point_series;
CREATE INDEX aiops_point_recent ON aiops_point (tenant_id, ts);
