-- Each node loads the sessions ended within one access-token lifetime when it starts (their
-- access tokens are refused until they expire): found by when they were revoked.

CREATE INDEX refresh_token_revoked ON refresh_token (revoked_at) WHERE revoked_at IS NOT NULL;
