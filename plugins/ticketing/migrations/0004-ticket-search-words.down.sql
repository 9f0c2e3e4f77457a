DROP FUNCTION ticket_word_ids(text[], text, text, integer);

DROP INDEX ticket_search_words;

DROP FUNCTION ticket_search_words(text);
