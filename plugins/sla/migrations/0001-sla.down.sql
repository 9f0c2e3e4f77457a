DROP TABLE IF EXISTS sla_report, sla_snapshot, sla_backup_report, sla_incident, sla_exclusion_window, sla_status_transition, sla_service, sla_group, sla_tier, sla_node CASCADE;
