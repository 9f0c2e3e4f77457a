-- The node that claimed a running key, by its event listener's database session (pid and start):
-- when that session is gone, the node is gone too (killed, crashed), and a retry of the key runs
-- again instead of answering 409 until the record expires.
ALTER TABLE idempotency_record ADD COLUMN claimed_pid integer, ADD COLUMN claimed_backend_start timestamptz;
