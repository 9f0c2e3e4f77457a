-- First-party plugins keep their migrations beside their code (plugins/<id>/migrations/) and run
-- them when they load, under their own names. Databases migrated before that recorded them as core
-- migrations: rename those records so nothing runs twice and no data is touched.

UPDATE itops_migrations SET name = 'sla/0001-sla' WHERE name = '0006-sla';
UPDATE itops_migrations SET name = 'containers/0001-heartbeats' WHERE name = '0007-heartbeats';
UPDATE itops_migrations SET name = 'containers/0002-endpoints-and-certificates' WHERE name = '0008-endpoints-and-certificates';
UPDATE itops_migrations SET name = 'containers/0003-status-page' WHERE name = '0009-status-page';
