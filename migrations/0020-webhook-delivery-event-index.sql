-- Deliveries by their event: the outbox relay looks up each batch's pending deliveries by event id
-- (WebhookDeliveries.kick), and the events list counts each listed event's deliveries. Without an
-- index both read the whole table, which only grows. Built in the migration's transaction, so it
-- holds writes to webhook_delivery while it builds; on a large table, build it beforehand with
-- CREATE INDEX CONCURRENTLY webhook_delivery_event ON webhook_delivery (event_id) and this is a no-op.
CREATE INDEX IF NOT EXISTS webhook_delivery_event ON webhook_delivery (event_id);
