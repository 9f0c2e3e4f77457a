-- Stored responses are kept sealed (AES-256-GCM under a data key of their own, wrapped by the
-- master key, as secrets are): some carry a value shown once, such as a webhook's signing secret
-- or a new API key. `response_body` holds the ciphertext; records stored before this migration are
-- sealed at the next boot (core/idempotency/idempotency-store.ts), since SQL has no master key.
ALTER TABLE idempotency_record ADD COLUMN response_key bytea, ADD COLUMN response_master_key_id text;
