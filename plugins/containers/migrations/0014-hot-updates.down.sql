ALTER TABLE container SET (fillfactor = 80);
ALTER TABLE status_monitor RESET (fillfactor);
