DROP FUNCTION ticket_search_ids(text, text, integer);

DROP INDEX ticket_tenant_assignee_rank;
