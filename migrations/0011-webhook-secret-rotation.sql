-- A rotated secret keeps signing beside the new one until its grace period ends (Standard Webhooks
-- lets webhook-signature carry several signatures), so receivers can switch without dropping events.
-- Failed deliveries are replayed by subscription and time.

ALTER TABLE webhook_subscription
  ADD COLUMN previous_secret text,
  ADD COLUMN previous_secret_expires_at timestamptz;

CREATE INDEX webhook_delivery_failed ON webhook_delivery (subscription_id, created_at) WHERE status = 'failed';
