ALTER TABLE idempotency_record DROP COLUMN claimed_pid, DROP COLUMN claimed_backend_start;
