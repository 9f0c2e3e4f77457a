DROP INDEX refresh_token_revoked;
