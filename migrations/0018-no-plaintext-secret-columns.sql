-- The plaintext columns secrets lived in before the encrypted secrets store (webhook signing secrets,
-- 0014; a channel's URL, 0010) may hold nothing any more. NOT VALID: new and changed rows are
-- checked now, while rows from before are sealed at the next boot (the master key is not in SQL),
-- which then validates the constraints (core/secrets/plaintext-columns.ts). A later migration drops
-- the columns, once a validated constraint shows they are empty.
ALTER TABLE webhook_subscription
  ADD CONSTRAINT webhook_subscription_secret_sealed CHECK (secret IS NULL AND previous_secret IS NULL) NOT VALID;
ALTER TABLE notification_channel
  ADD CONSTRAINT notification_channel_url_sealed CHECK (url IS NULL) NOT VALID;
