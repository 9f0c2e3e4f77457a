-- A webhook-triggered workflow's inbound URL is signed with a secret of its own (kept in the
-- secrets store, encrypted): when it was last set, null while it has none.
ALTER TABLE workflow ADD COLUMN webhook_secret_rotated_at timestamptz;
