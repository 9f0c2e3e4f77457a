-- Webhook signing secrets move into the encrypted secrets store (`workspace_secret`, keys
-- `webhook-signing.<subscription id>` and `.previous`). The plaintext columns stay only until the
-- first boot after this migration seals what they hold (core/webhooks/webhook-secrets.ts), then stay empty.
ALTER TABLE webhook_subscription ALTER COLUMN secret DROP NOT NULL;
