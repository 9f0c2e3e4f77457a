DROP TABLE IF EXISTS portal_accounting_sync;
