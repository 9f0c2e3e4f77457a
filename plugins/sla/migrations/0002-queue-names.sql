-- Job queues follow the one naming rule (`<plugin>.<name>`, underscores): a database that ran the
-- kebab-case name keeps its cron schedule unless it goes, and that schedule would fill a queue no
-- worker takes. pg-boss creates its schema on first start, so it may not exist yet.
DO $$
BEGIN
  IF to_regclass('pgboss.schedule') IS NOT NULL THEN
    DELETE FROM pgboss.schedule WHERE name = 'sla.daily-report';
  END IF;
END $$;
