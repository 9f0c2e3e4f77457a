DELETE FROM monitor_badge WHERE target_type = 'tag';
ALTER TABLE monitor_badge DROP CONSTRAINT monitor_badge_target_type_check;
ALTER TABLE monitor_badge ALTER COLUMN target_id TYPE uuid USING target_id::uuid;
ALTER TABLE monitor_badge ADD CONSTRAINT monitor_badge_target_type_check CHECK (target_type IN ('heartbeat', 'endpoint', 'component'));
DROP INDEX endpoint_tags;
DROP INDEX heartbeat_tags;
ALTER TABLE endpoint DROP COLUMN tags;
ALTER TABLE heartbeat DROP COLUMN tags;
