-- Ticket list at volume (issue 16's bench, 1,000,000 tickets in one workspace).

-- An agent's queue by priority: the assignee filter and the priority order in one index, so a page
-- reads its 50 rows instead of walking the priority order past every other agent's tickets.
CREATE INDEX ticket_tenant_assignee_rank ON ticket (tenant_id, assignee, priority_rank, id);

-- The ids of the calling workspace's tickets whose text contains `pattern` (a LIKE pattern of the
-- lower-cased text) and/or that carry `tag`, at most `cap` of them, found through the trigram and
-- tag GIN indexes alone (bitmap scans: no walk along another index).
--
-- Why a function: under row-level security PostgreSQL may use an index only for leakproof
-- operators, and LIKE and @> are not, so the same condition in a workspace's query reads every
-- ticket of the workspace. The function runs as the tables' owner, where the index applies, and
-- takes the workspace from the same session setting the row-level policies read (unset: none), so
-- a caller learns only ids of its own workspace's matching tickets; the rows themselves are then
-- read under row-level security as always.
CREATE FUNCTION ticket_search_ids(pattern text, tag text, cap integer) RETURNS SETOF uuid
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path FROM CURRENT
  SET enable_indexscan = off
  SET enable_seqscan = off
AS $$
DECLARE
  workspace text := nullif(current_setting('itops.tenant_id', true), '');
BEGIN
  IF tag IS NULL THEN
    RETURN QUERY SELECT t.id FROM ticket t WHERE t.tenant_id = workspace AND t.search_text LIKE pattern LIMIT cap;
  ELSIF pattern IS NULL THEN
    RETURN QUERY SELECT t.id FROM ticket t WHERE t.tenant_id = workspace AND t.tags @> ARRAY[tag] LIMIT cap;
  ELSE
    RETURN QUERY SELECT t.id FROM ticket t WHERE t.tenant_id = workspace AND t.search_text LIKE pattern AND t.tags @> ARRAY[tag] LIMIT cap;
  END IF;
END
$$;
