DROP INDEX IF EXISTS webhook_delivery_event;
