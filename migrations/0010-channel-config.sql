-- Channel types are declared in code (core/alerts/channels/), each with its own settings: the type
-- is checked there, and the settings live in one JSON object (the URL of the original four types too).
ALTER TABLE notification_channel DROP CONSTRAINT IF EXISTS notification_channel_type_check;
ALTER TABLE notification_channel ADD COLUMN config jsonb NOT NULL DEFAULT '{}'::jsonb;
UPDATE notification_channel SET config = jsonb_build_object('url', url);
ALTER TABLE notification_channel ALTER COLUMN url DROP NOT NULL;
