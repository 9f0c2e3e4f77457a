-- Each workspace's Alertmanager receiver credential (SHA-256 of it, and a prefix to recognise it):
-- the receiver admits a delivery only into the workspace whose credential it carries.
CREATE TABLE aiops_am_receiver (
  tenant_id      text PRIMARY KEY,
  secret_hash    text NOT NULL,
  secret_prefix  text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  rotated_at     timestamptz NOT NULL DEFAULT now()
);

-- A resolved alert finds the anomaly its firing opened by fingerprint, without reading every anomaly.
CREATE INDEX aiops_anomaly_am_open ON aiops_anomaly (tenant_id, (labels->>'am_fingerprint')) WHERE source = 'alertmanager' AND NOT resolved;
