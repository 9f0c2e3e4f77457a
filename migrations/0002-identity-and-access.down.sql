DROP TABLE license, idempotency_record, rate_limit_window, rbac_policy, api_key, refresh_token, membership, app_user, tenant;
