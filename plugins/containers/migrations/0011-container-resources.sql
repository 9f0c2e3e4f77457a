-- Resource readings of containers (CPU, memory, network, block I/O), one row per container per
-- snapshot round, kept for a configurable retention; the latest reading of each container with the
-- network and I/O rates since the one before it (for current, summary and top without scanning
-- history); and per-container alert thresholds with what the alerts currently say.
-- (No quote marks or question marks in these comments: the migrator numbers placeholders.)

CREATE TABLE container_resource_sample (
  tenant_id           text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  container_id        uuid NOT NULL REFERENCES container (id) ON DELETE CASCADE,
  at                  timestamptz NOT NULL,
  cpu_percent         real NOT NULL,
  memory_bytes        bigint NOT NULL,
  memory_limit_bytes  bigint,
  network_rx_bytes    bigint NOT NULL,
  network_tx_bytes    bigint NOT NULL,
  block_read_bytes    bigint NOT NULL,
  block_write_bytes   bigint NOT NULL,
  pids                integer,
  PRIMARY KEY (container_id, at)
);

CREATE INDEX container_resource_sample_at ON container_resource_sample (at);

CREATE TABLE container_resource_latest (
  tenant_id                   text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  container_id                uuid PRIMARY KEY REFERENCES container (id) ON DELETE CASCADE,
  at                          timestamptz NOT NULL,
  cpu_percent                 real NOT NULL,
  memory_bytes                bigint NOT NULL,
  memory_limit_bytes          bigint,
  network_rx_bytes            bigint NOT NULL,
  network_tx_bytes            bigint NOT NULL,
  block_read_bytes            bigint NOT NULL,
  block_write_bytes           bigint NOT NULL,
  pids                        integer,
  network_rx_per_second       double precision NOT NULL DEFAULT 0,
  network_tx_per_second       double precision NOT NULL DEFAULT 0,
  block_read_per_second       double precision NOT NULL DEFAULT 0,
  block_write_per_second      double precision NOT NULL DEFAULT 0
);

CREATE INDEX container_resource_latest_tenant ON container_resource_latest (tenant_id, at);

CREATE TABLE container_resource_alert (
  tenant_id         text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  container_id      uuid PRIMARY KEY REFERENCES container (id) ON DELETE CASCADE,
  cpu_percent       real,
  memory_percent    real,
  memory_bytes      bigint,
  enabled           boolean NOT NULL DEFAULT true,
  cpu_firing        boolean NOT NULL DEFAULT false,
  memory_firing     boolean NOT NULL DEFAULT false,
  updated_at        timestamptz NOT NULL DEFAULT now()
);

-- Image updates: what the last scan found for each container (the running digest against the
-- registry: a newer version tag, or the same tag moved to another digest), the pins that keep a
-- container on its version, the exclusions (image or name patterns) and the scans themselves.
CREATE TABLE image_update (
  tenant_id       text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  container_id    uuid PRIMARY KEY REFERENCES container (id) ON DELETE CASCADE,
  image           text NOT NULL,
  registry        text,
  repository      text,
  current_tag     text,
  current_digest  text,
  latest_tag      text,
  latest_digest   text,
  update_type     text NOT NULL CHECK (update_type IN ('none', 'major', 'minor', 'patch', 'digest')),
  status          text NOT NULL CHECK (status IN ('available', 'up_to_date', 'pinned', 'excluded', 'error')),
  error           text,
  checked_at      timestamptz NOT NULL,
  detected_at     timestamptz
);

CREATE INDEX image_update_tenant_status ON image_update (tenant_id, status, update_type);

CREATE TABLE update_pin (
  tenant_id     text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  container_id  uuid PRIMARY KEY REFERENCES container (id) ON DELETE CASCADE,
  image         text NOT NULL,
  digest        text,
  reason        text,
  pinned_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE update_exclusion (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id   text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  pattern     text NOT NULL,
  reason      text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, pattern)
);

CREATE TABLE update_scan (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id           text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  status              text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed', 'failed')),
  requested_at        timestamptz NOT NULL DEFAULT now(),
  started_at          timestamptz,
  finished_at         timestamptz,
  containers_checked  integer NOT NULL DEFAULT 0,
  updates_found       integer NOT NULL DEFAULT 0,
  error               text
);

CREATE UNIQUE INDEX update_scan_one_open ON update_scan (tenant_id) WHERE status IN ('queued', 'running');
