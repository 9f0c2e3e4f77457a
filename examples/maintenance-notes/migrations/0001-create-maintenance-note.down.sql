DROP TABLE maintenance_note;
