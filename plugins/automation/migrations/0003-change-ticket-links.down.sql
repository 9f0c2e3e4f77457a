ALTER TABLE automation_change_event DROP COLUMN linked_ticket_ids;
