DELETE FROM notification_channel WHERE type NOT IN ('slack', 'discord', 'teams', 'webhook');
UPDATE notification_channel SET url = config->>'url' WHERE url IS NULL;
ALTER TABLE notification_channel ALTER COLUMN url SET NOT NULL;
ALTER TABLE notification_channel DROP COLUMN config;
ALTER TABLE notification_channel ADD CONSTRAINT notification_channel_type_check CHECK (type IN ('slack', 'discord', 'teams', 'webhook'));
