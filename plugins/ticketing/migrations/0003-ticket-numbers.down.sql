DROP TRIGGER ticket_number ON ticket;
DROP FUNCTION ticket_take_number();
DROP TABLE ticket_number_counter;
ALTER TABLE ticket DROP COLUMN number;
