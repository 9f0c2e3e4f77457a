-- Staff-issued session tokens: like an invite, but minutes long and handed out by staff (to see the
-- portal as a client does, or to pass on to a client's person). Shown once, only the SHA-256 kept,
-- single use (used_at), expiring.
CREATE TABLE portal_session_token (
  id          uuid PRIMARY KEY,
  tenant_id   text NOT NULL,
  client_id   uuid NOT NULL REFERENCES portal_client (id) ON DELETE CASCADE,
  email       text NOT NULL,
  token_hash  bytea NOT NULL UNIQUE,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX portal_session_token_client ON portal_session_token (tenant_id, client_id, created_at DESC);

-- A session comes from an invite or from a staff-issued token.
ALTER TABLE portal_session ADD COLUMN session_token_id uuid REFERENCES portal_session_token (id) ON DELETE SET NULL;

CREATE POLICY portal_client_scope ON portal_session_token AS RESTRICTIVE
  USING (nullif(current_setting('itops.portal_client_id', true), '') IS NULL OR client_id = nullif(current_setting('itops.portal_client_id', true), '')::uuid);
