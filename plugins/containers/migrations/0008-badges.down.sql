DROP TABLE IF EXISTS monitor_badge;
