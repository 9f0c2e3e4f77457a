-- `ticket_word_ids` split in two, so the list can keep a word's estimate for a while: planning the
-- EXPLAIN behind each estimate was half of a rare-word page's database time (about 0.5 ms of 1),
-- and a word's estimate moves only with ANALYZE. `ticket_word_estimates` estimates, the caller
-- chooses and keeps the result, `ticket_word_hits` finds the chosen word's tickets.

-- The planner's estimate of the tickets each of `words` (prefixes of a ticket's words, or, '~' and
-- reversed, of their ends; see migration 0004) begins, in their order, stopping after the first
-- estimated at most `cap` (the longest words come first: a longer prefix is usually rarer). `usable`
-- says the word may be probed: estimated at most `cap` tickets or at most 0.5 % of them (the least
-- the planner estimates of a prefix no common word begins with, on a large table); a word that is
-- not is a common term, which the caller looks for another way. The estimates come from the
-- index's statistics, which row-level security hides from the workspace's own queries: so this
-- runs as the tables' owner, and tells only the counts every workspace's estimate is made of.
CREATE FUNCTION ticket_word_estimates(words text[], cap integer)
  RETURNS TABLE (word text, estimate numeric, usable boolean)
  -- VOLATILE: the estimates are EXPLAINs, which a STABLE function may not run.
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path FROM CURRENT
AS $$
DECLARE
  plan json;
  common numeric := greatest(cap, 0.005 * (SELECT reltuples FROM pg_class WHERE oid = 'ticket'::regclass));
BEGIN
  FOREACH word IN ARRAY coalesce(words[1:8], '{}') LOOP
    CONTINUE WHEN word !~ '^~?[0-9a-z]{1,100}$';
    EXECUTE format('EXPLAIN (FORMAT JSON) SELECT 1 FROM ticket t WHERE ticket_search_words(t.search_text) @@ %L::tsquery', '''' || word || ''':*')
      INTO plan;
    estimate := (plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric;
    usable := estimate <= common;
    RETURN NEXT;
    EXIT WHEN estimate <= cap;
  END LOOP;
END
$$;

-- The ids of the calling workspace's tickets with a word that begins with `word` (as above) whose
-- lower-cased text contains `pattern` (a LIKE pattern) and that carry `tag` (when given), at most
-- `cap`, through the words index. Runs as the tables' owner, in the calling workspace only, for
-- the reasons `ticket_search_ids` gives (migration 0002). Empty for a word that is no prefix.
CREATE FUNCTION ticket_word_hits(word text, pattern text, tag text, cap integer) RETURNS uuid[]
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path FROM CURRENT
  SET enable_indexscan = off
  SET enable_seqscan = off
AS $$
DECLARE
  workspace text := nullif(current_setting('itops.tenant_id', true), '');
  ids uuid[];
BEGIN
  IF word !~ '^~?[0-9a-z]{1,100}$' THEN
    RETURN '{}';
  END IF;
  -- The substring and the tag are checked on the word's candidates (OFFSET 0 keeps them there, off
  -- the trigram index).
  SELECT coalesce(array_agg(s.id), '{}') INTO ids FROM (
    SELECT c.id FROM (
      SELECT t.id, t.search_text, t.tags FROM ticket t
       WHERE t.tenant_id = workspace AND ticket_search_words(t.search_text) @@ (('''' || word || ''':*')::tsquery || '''!long'''::tsquery)
      OFFSET 0
    ) c
     WHERE c.search_text LIKE pattern AND (tag IS NULL OR c.tags @> ARRAY[tag])
     LIMIT cap
  ) s;
  RETURN ids;
END
$$;

DROP FUNCTION ticket_word_ids(text[], text, text, integer);
