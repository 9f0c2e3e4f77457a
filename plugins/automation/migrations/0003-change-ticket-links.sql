-- The tickets a change event was linked to (by the keys it names), when ticketing was loaded.
ALTER TABLE automation_change_event ADD COLUMN linked_ticket_ids uuid[] NOT NULL DEFAULT '{}';
