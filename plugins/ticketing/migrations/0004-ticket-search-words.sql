-- `q` by words (issue 16's bench: `q=user4242@example` read ~2,760 buffers through the trigram
-- index alone, because its AND of trigrams reads, for every candidate, the posting lists of
-- trigrams nearly every ticket has: "use", "ser", "exa", "xam", "amp", "mpl", "ple").
--
-- The words of a ticket's search text (its lower-cased runs of a-z and 0-9), each twice: as itself
-- and reversed behind a '~' (which no word holds). Of a `q` made of words and other characters,
-- a word with a character before it in `q` starts a word of every matching ticket, and a word with
-- a character after it ends one; so a prefix query on the words or on the reversed words finds a
-- superset of the matches, which the caller rechecks with the substring condition itself. Words are
-- kept to their first (reversed: last) 100 characters, which a prefix of at most 100 characters
-- still finds. A text longer than 100,000 characters (a tsvector holds at most 1 MB) is indexed as
-- the one lexeme '!long' alone, which every word query also asks for.
CREATE FUNCTION ticket_search_words(search_text text) RETURNS tsvector
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT CASE
    WHEN length(search_text) > 100000 THEN array_to_tsvector(ARRAY['!long'])
    ELSE array_to_tsvector(ARRAY(
      SELECT lexeme
        FROM regexp_split_to_table(search_text, '[^0-9a-z]+') AS w,
             LATERAL (VALUES (left(w, 100)), ('~' || left(reverse(w), 100))) AS v(lexeme)
       WHERE w <> ''))
  END
$$;

-- Built in the migrator's transaction, so not CONCURRENTLY: the build (about a minute per million
-- tickets) blocks writes to tickets while it runs; on a large installation run it beforehand as
-- CREATE INDEX CONCURRENTLY ticket_search_words ON ticket USING gin (ticket_search_words(search_text));
-- and this statement finds it there.
CREATE INDEX IF NOT EXISTS ticket_search_words ON ticket USING gin (ticket_search_words(search_text));
-- Its statistics now (a sample of 30,000 tickets, seconds): `ticket_word_ids` goes by them, and
-- without them every prefix is estimated at 0.5 % of the tickets and the index left unused until
-- autovacuum analyzes the table.
ANALYZE ticket;

-- The ids of the calling workspace's tickets whose lower-cased text contains `pattern` (a LIKE
-- pattern) and that carry `tag` (when given), at most `cap`, found through the words index: `words`
-- are the prefixes `q`'s words must begin (or, '~' and reversed, end) a ticket's word with. The
-- planner's estimates of the prefixes (from the index's statistics, which row-level security hides
-- from the workspace's own queries; about 0.35 ms each) pick the rarest, the longest first and
-- stopping at one estimated at most `cap`. NULL when even the rarest is estimated to match more
-- than `cap` tickets and more than 0.5 % of them (the least the planner estimates of a prefix no
-- common word begins with, on a large table): a common term, which the caller looks for another
-- way. Runs as the tables' owner, in the calling workspace only, for the reasons
-- `ticket_search_ids` gives.
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
