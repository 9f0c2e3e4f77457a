-- Job queues follow the one naming rule (`<plugin>.<name>`, underscores): a database that ran the
-- kebab-case names keeps their cron schedules unless they go, and those would fill queues no worker
-- takes. pg-boss creates its schema on first start, so it may not exist yet.
DO $$
BEGIN
  IF to_regclass('pgboss.schedule') IS NOT NULL THEN
    DELETE FROM pgboss.schedule WHERE name IN ('containers.ping-retention', 'containers.status-history-retention', 'containers.endpoint-retention');
  END IF;
END $$;
