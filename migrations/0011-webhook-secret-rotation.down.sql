DROP INDEX webhook_delivery_failed;

ALTER TABLE webhook_subscription
  DROP COLUMN previous_secret_expires_at,
  DROP COLUMN previous_secret;
