DROP TABLE IF EXISTS update_scan;
DROP TABLE IF EXISTS update_exclusion;
DROP TABLE IF EXISTS update_pin;
DROP TABLE IF EXISTS image_update;
DROP TABLE IF EXISTS container_resource_alert;
DROP TABLE IF EXISTS container_resource_latest;
DROP TABLE IF EXISTS container_resource_sample;
