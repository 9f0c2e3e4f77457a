DROP TABLE IF EXISTS setup_token;
DROP TABLE IF EXISTS workspace_secret;
DROP TABLE IF EXISTS platform_secret;
DROP TABLE IF EXISTS workspace_setting;
DROP TABLE IF EXISTS platform_setting;
