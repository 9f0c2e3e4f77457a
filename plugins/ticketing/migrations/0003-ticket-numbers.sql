-- A ticket's number in its workspace (1, 2, 3, …), shown as its key `TCK-<number>`: people, and
-- commit messages, name tickets by key, not by UUID (GitHub change events link to the tickets
-- they name).
ALTER TABLE ticket ADD COLUMN number integer;

-- The last number given in each workspace. A new ticket takes the next in its own transaction, so
-- numbers are never reused; creations in one workspace wait on this row until they commit.
CREATE TABLE ticket_number_counter (
  tenant_id text PRIMARY KEY REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  last      integer NOT NULL
);

WITH numbered AS (SELECT id, row_number() OVER (PARTITION BY tenant_id ORDER BY created_at, id) AS n FROM ticket)
UPDATE ticket SET number = numbered.n FROM numbered WHERE numbered.id = ticket.id;
INSERT INTO ticket_number_counter (tenant_id, last) SELECT tenant_id, max(number) FROM ticket GROUP BY tenant_id;

-- In the database, so every way a ticket is made (the API, alert rules, workflows, imports) numbers it.
CREATE FUNCTION ticket_take_number() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO ticket_number_counter AS c (tenant_id, last) VALUES (NEW.tenant_id, 1)
  ON CONFLICT (tenant_id) DO UPDATE SET last = c.last + 1
  RETURNING last INTO NEW.number;
  RETURN NEW;
END
$$;
CREATE TRIGGER ticket_number BEFORE INSERT ON ticket FOR EACH ROW WHEN (NEW.number IS NULL) EXECUTE FUNCTION ticket_take_number();

ALTER TABLE ticket ALTER COLUMN number SET NOT NULL;
CREATE UNIQUE INDEX ticket_tenant_number ON ticket (tenant_id, number);
