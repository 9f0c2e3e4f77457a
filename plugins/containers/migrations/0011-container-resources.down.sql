DROP TABLE IF EXISTS container_resource_alert;
DROP TABLE IF EXISTS container_resource_latest;
DROP TABLE IF EXISTS container_resource_sample;
