-- Secrets already sealed are not written back as plaintext: a downgrade needs each webhook's secret rotated.
UPDATE webhook_subscription SET secret = '' WHERE secret IS NULL;
ALTER TABLE webhook_subscription ALTER COLUMN secret SET NOT NULL;
