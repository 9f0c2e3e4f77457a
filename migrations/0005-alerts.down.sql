DROP TABLE alert_notification, silence, channel_rule, notification_channel, alert;
