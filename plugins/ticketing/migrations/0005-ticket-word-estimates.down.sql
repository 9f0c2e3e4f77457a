-- Puts back migration 0004's ticket_word_ids (its text as shipped), which 0005 split in two.
CREATE FUNCTION ticket_word_ids(words text[], pattern text, tag text, cap integer) RETURNS uuid[]
  -- VOLATILE: the estimates are EXPLAINs, which a STABLE function may not run.
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path FROM CURRENT
  SET enable_indexscan = off
  SET enable_seqscan = off
AS $$
DECLARE
  workspace text := nullif(current_setting('itops.tenant_id', true), '');
  word text;
  plan json;
  estimate numeric;
  best tsquery;
  best_rows numeric;
  ids uuid[];
BEGIN
  FOREACH word IN ARRAY coalesce(words[1:8], '{}') LOOP
    CONTINUE WHEN word !~ '^~?[0-9a-z]{1,100}$';
    EXECUTE format('EXPLAIN (FORMAT JSON) SELECT 1 FROM ticket t WHERE ticket_search_words(t.search_text) @@ %L::tsquery', '''' || word || ''':*')
      INTO plan;
    estimate := (plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric;
    IF best_rows IS NULL OR estimate < best_rows THEN
      best := ('''' || word || ''':*')::tsquery;
      best_rows := estimate;
    END IF;
    EXIT WHEN best_rows <= cap;
  END LOOP;
  IF best_rows IS NULL OR best_rows > greatest(cap, 0.005 * (SELECT reltuples FROM pg_class WHERE oid = 'ticket'::regclass)) THEN
    RETURN NULL;
  END IF;
  -- The substring and the tag are checked on the words' candidates (OFFSET 0 keeps them there, off
  -- the trigram index).
  SELECT coalesce(array_agg(s.id), '{}') INTO ids FROM (
    SELECT c.id FROM (
      SELECT t.id, t.search_text, t.tags FROM ticket t
       WHERE t.tenant_id = workspace AND ticket_search_words(t.search_text) @@ (best || '''!long'''::tsquery)
      OFFSET 0
    ) c
     WHERE c.search_text LIKE pattern AND (tag IS NULL OR c.tags @> ARRAY[tag])
     LIMIT cap
  ) s;
  RETURN ids;
END
$$;

DROP FUNCTION ticket_word_hits(text, text, text, integer);

DROP FUNCTION ticket_word_estimates(text[], integer);
