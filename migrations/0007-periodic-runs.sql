-- One row per periodic task (`ctx.every`): which node runs it now (a lease) and when it is due
-- next, so however many nodes share the database, one runs each round.

CREATE TABLE core_periodic_run (
  name           text PRIMARY KEY,
  running_by     text,
  running_until  timestamptz,
  next_at        timestamptz NOT NULL DEFAULT now()
);
