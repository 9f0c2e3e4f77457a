ALTER TABLE portal_session DROP COLUMN IF EXISTS session_token_id;
DROP TABLE IF EXISTS portal_session_token;
