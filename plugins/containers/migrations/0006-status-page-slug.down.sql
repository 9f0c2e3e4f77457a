DROP TABLE IF EXISTS status_page_settings;
