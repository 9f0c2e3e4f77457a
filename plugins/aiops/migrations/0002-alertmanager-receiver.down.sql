DROP INDEX IF EXISTS aiops_anomaly_am_open;
DROP TABLE IF EXISTS aiops_am_receiver;
