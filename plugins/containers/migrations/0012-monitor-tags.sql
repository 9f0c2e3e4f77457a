-- Tags on heartbeats and endpoints, as Healthchecks users group their checks: a list filter and a
-- public badge per tag (the worst status of the monitors that carry it). A tag badge names its tag
-- in target_id, so that column becomes text; uuids keep their text form.
ALTER TABLE heartbeat ADD COLUMN tags text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 20);
ALTER TABLE endpoint ADD COLUMN tags text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 20);
CREATE INDEX heartbeat_tags ON heartbeat USING gin (tags);
CREATE INDEX endpoint_tags ON endpoint USING gin (tags);

ALTER TABLE monitor_badge DROP CONSTRAINT monitor_badge_target_type_check;
ALTER TABLE monitor_badge ALTER COLUMN target_id TYPE text USING target_id::text;
ALTER TABLE monitor_badge ADD CONSTRAINT monitor_badge_target_type_check CHECK (target_type IN ('heartbeat', 'endpoint', 'component', 'tag'));
