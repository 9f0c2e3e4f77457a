DROP TABLE webhook_delivery, webhook_subscription;
