-- AIOps (seeds 002/003): telemetry points (time-partitioned), ingest batches, edge-agent enrollment,
-- watchdog series state and anomalies, Alertmanager deliveries, incident memory and declared
-- service dependencies. Row-level security is added by the kernel to every table with tenant_id;
-- the points' daily partitions get the same policy when they are created (see point-partitions.ts).

-- Trigram similarity for service and tag names; where the role may not create extensions the
-- memory falls back to full-text search alone (see resolution-search.ts).
DO $$
BEGIN
  CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN insufficient_privilege OR undefined_file THEN
  RAISE NOTICE 'pg_trgm unavailable: incident memory uses full-text search only';
END $$;

-- One row per accepted metric point or event. Partitioned by day so retention drops whole
-- partitions (no vacuum debt) and a day's scan touches one table.
CREATE TABLE aiops_point (
  tenant_id   text NOT NULL,
  batch_id    uuid NOT NULL,
  service_id  text NOT NULL,
  metric_name text NOT NULL,
  ts          timestamptz NOT NULL,
  value       double precision,
  kind        text NOT NULL DEFAULT 'metric' CHECK (kind IN ('metric', 'event')),
  labels      jsonb
) PARTITION BY RANGE (ts);

CREATE INDEX aiops_point_series ON aiops_point (tenant_id, service_id, metric_name, ts);
-- The watchdog reads a batch's points back by batch id.
CREATE INDEX aiops_point_batch ON aiops_point (batch_id);
-- Catches rows outside every daily partition (the ingest creates the partitions it needs first,
-- so it stays empty in practice).
CREATE TABLE aiops_point_default PARTITION OF aiops_point DEFAULT;

-- What each POST /events/ingest (or remote-write request) delivered: the ingest-batches list and
-- the per-agent ingest status read from here.
CREATE TABLE aiops_ingest_batch (
  id           uuid PRIMARY KEY,
  tenant_id    text NOT NULL,
  source       text NOT NULL,
  agent_id     text,
  received_at  timestamptz NOT NULL DEFAULT now(),
  points       integer NOT NULL CHECK (points >= 0),
  events       integer NOT NULL CHECK (events >= 0),
  rejected     integer NOT NULL DEFAULT 0 CHECK (rejected >= 0),
  first_ts     timestamptz,
  last_ts      timestamptz,
  -- Set once the watchdog scored the batch's points; unscored batches are its work queue.
  scored_at    timestamptz
);
CREATE INDEX aiops_ingest_batch_unscored ON aiops_ingest_batch (received_at) WHERE scored_at IS NULL;
CREATE INDEX aiops_ingest_batch_recent ON aiops_ingest_batch (tenant_id, received_at DESC);
CREATE INDEX aiops_ingest_batch_agent ON aiops_ingest_batch (tenant_id, agent_id, received_at DESC);

-- The workspace's edge-agent enrollment secret (hashed) and collection policy.
CREATE TABLE aiops_edge_enrollment (
  tenant_id      text PRIMARY KEY,
  secret_hash    text NOT NULL,
  secret_prefix  text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  rotated_at     timestamptz NOT NULL DEFAULT now(),
  policy         jsonb NOT NULL DEFAULT '{}'::jsonb
);

-- Watchdog: compact per-series detector state between scoring rounds, and the ingest cursor.
CREATE TABLE aiops_series_state (
  tenant_id    text NOT NULL,
  service_id   text NOT NULL,
  metric_name  text NOT NULL,
  state        jsonb NOT NULL,
  last_ts      timestamptz NOT NULL,
  points_seen  bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, service_id, metric_name)
);

CREATE TABLE aiops_anomaly (
  anomaly_id     text PRIMARY KEY,
  tenant_id      text NOT NULL,
  service_id     text NOT NULL,
  metric_name    text NOT NULL,
  anomaly_score  double precision NOT NULL DEFAULT 0 CHECK (anomaly_score >= 0 AND anomaly_score <= 1),
  z_score        double precision NOT NULL,
  value          double precision,
  detected_at    timestamptz NOT NULL,
  source         text NOT NULL DEFAULT 'watchdog',
  rca_triggered  boolean NOT NULL DEFAULT false,
  resolved       boolean NOT NULL DEFAULT false,
  resolved_at    timestamptz,
  labels         jsonb NOT NULL DEFAULT '{}'::jsonb,
  summary        text NOT NULL DEFAULT ''
);
CREATE INDEX aiops_anomaly_list ON aiops_anomaly (tenant_id, detected_at DESC, anomaly_id);
CREATE INDEX aiops_anomaly_service ON aiops_anomaly (tenant_id, service_id, detected_at DESC);

-- Alertmanager delivers at least once: one row per (groupKey, fingerprint, status, startsAt).
CREATE TABLE aiops_am_delivery (
  tenant_id    text NOT NULL,
  group_key    text NOT NULL,
  fingerprint  text NOT NULL,
  status       text NOT NULL,
  starts_at    timestamptz NOT NULL,
  anomaly_id   text NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, group_key, fingerprint, status, starts_at)
);

-- Incident memory: human resolutions, searchable by text (tsvector) and by names (trigrams).
CREATE TABLE aiops_resolution (
  knowledge_base_id         text PRIMARY KEY,
  tenant_id                 text NOT NULL,
  incident_id               text NOT NULL,
  service_id                text NOT NULL,
  metric_name               text,
  resolution                text NOT NULL,
  resolved_by               text,
  time_to_recovery_minutes  integer,
  tags                      text[] NOT NULL DEFAULT '{}',
  created_at                timestamptz NOT NULL DEFAULT now(),
  -- Written by the insert (array_to_string is not immutable, so no generated column).
  search                    tsvector NOT NULL DEFAULT ''::tsvector
);
CREATE INDEX aiops_resolution_search ON aiops_resolution USING gin (search);
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    CREATE INDEX aiops_resolution_service_trgm ON aiops_resolution USING gin (service_id gin_trgm_ops);
  END IF;
END $$;

-- Declared dependencies (caller -> callee) and change events for RCA.
CREATE TABLE aiops_dependency (
  tenant_id     text NOT NULL,
  service_id    text NOT NULL,
  depends_on    text NOT NULL,
  source        text NOT NULL DEFAULT 'declared',
  PRIMARY KEY (tenant_id, service_id, depends_on)
);

CREATE TABLE aiops_change_event (
  id          uuid PRIMARY KEY,
  tenant_id   text NOT NULL,
  service_id  text NOT NULL,
  kind        text NOT NULL,
  summary     text NOT NULL DEFAULT '',
  at          timestamptz NOT NULL
);
CREATE INDEX aiops_change_event_recent ON aiops_change_event (tenant_id, service_id, at DESC);
