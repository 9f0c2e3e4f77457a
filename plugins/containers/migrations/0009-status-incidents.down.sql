DROP TABLE IF EXISTS status_maintenance;
DROP TABLE IF EXISTS status_incident_update;
DROP TABLE IF EXISTS status_incident;
