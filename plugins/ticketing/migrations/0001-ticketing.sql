-- Ticketing: SLA policies (targets per priority on a business-hours calendar), tickets with their
-- SLA clocks, the timeline (comments and recorded changes), assets, runbooks, the rules that turn
-- alerts into tickets, and the alert events already handled.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE ticket_sla_policy (
  id           uuid PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  name         text NOT NULL,
  description  text NOT NULL DEFAULT '',
  is_default   boolean NOT NULL DEFAULT false,
  -- {"urgent": {"firstResponseMinutes": 15, "resolutionMinutes": 240}, ...}; a priority left out has no SLA.
  targets      jsonb NOT NULL DEFAULT '{}',
  -- {"timeZone", "weeklyHours": [{day, start, end}], "holidays": ["YYYY-MM-DD"]}; null is around the clock.
  calendar     jsonb,
  -- [{"priority": "urgent", "assignee": "..."}]: who takes a ticket escalated to that priority.
  escalation   jsonb NOT NULL DEFAULT '[]',
  version      integer NOT NULL DEFAULT 1,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX ticket_sla_policy_name ON ticket_sla_policy (tenant_id, lower(name));

CREATE UNIQUE INDEX ticket_sla_policy_default ON ticket_sla_policy (tenant_id) WHERE is_default;

-- The SLA columns are the clocks of sla-clock.ts; `*_at_risk` and `*_breached` record that the
-- notification was sent. `sla_check_at` is the next moment the sweep must look at the ticket (the
-- earliest threshold not yet notified): the sweep reads only due rows, through its partial index.
CREATE TABLE ticket (
  id                          uuid PRIMARY KEY,
  tenant_id                   text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  title                       text NOT NULL,
  description                 text NOT NULL DEFAULT '',
  type                        text NOT NULL DEFAULT 'incident' CHECK (type IN ('incident', 'service_request', 'change', 'problem')),
  status                      text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'open', 'pending', 'resolved', 'closed')),
  priority                    text NOT NULL DEFAULT 'medium' CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
  client_id                   text,
  assignee                    text,
  requester                   text,
  tags                        text[] NOT NULL DEFAULT '{}',
  links                       jsonb NOT NULL DEFAULT '[]',
  source                      text NOT NULL DEFAULT 'manual',
  version                     integer NOT NULL DEFAULT 1,
  sla_policy_id               uuid REFERENCES ticket_sla_policy (id) ON DELETE SET NULL,
  first_response_target_s     integer,
  first_response_due_at       timestamptz,
  first_response_warn_at      timestamptz,
  first_responded_at          timestamptz,
  resolution_target_s         integer,
  resolution_elapsed_s        integer NOT NULL DEFAULT 0,
  resolution_running_since    timestamptz,
  resolution_due_at           timestamptz,
  resolution_warn_at          timestamptz,
  first_response_at_risk      boolean NOT NULL DEFAULT false,
  first_response_breached     boolean NOT NULL DEFAULT false,
  resolution_at_risk          boolean NOT NULL DEFAULT false,
  resolution_breached         boolean NOT NULL DEFAULT false,
  escalation_level            integer NOT NULL DEFAULT 0,
  resolved_at                 timestamptz,
  closed_at                   timestamptz,
  created_at                  timestamptz NOT NULL DEFAULT now(),
  updated_at                  timestamptz NOT NULL DEFAULT now(),
  -- Sort keys of the priority and status orders, so those sorts walk an index instead of sorting every match.
  priority_rank               smallint GENERATED ALWAYS AS (CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END) STORED,
  status_rank                 smallint GENERATED ALWAYS AS (CASE status WHEN 'new' THEN 0 WHEN 'open' THEN 1 WHEN 'pending' THEN 2 WHEN 'resolved' THEN 3 ELSE 4 END) STORED,
  search_text                 text GENERATED ALWAYS AS (
    lower(title || ' ' || description || ' ' || coalesce(requester, '') || ' ' || coalesce(assignee, '') || ' ' || coalesce(client_id, ''))
  ) STORED,
  sla_check_at                timestamptz GENERATED ALWAYS AS (
    LEAST(
      CASE WHEN first_responded_at IS NULL AND NOT first_response_at_risk THEN first_response_warn_at END,
      CASE WHEN first_responded_at IS NULL AND NOT first_response_breached THEN first_response_due_at END,
      CASE WHEN resolution_running_since IS NOT NULL AND NOT resolution_at_risk THEN resolution_warn_at END,
      CASE WHEN resolution_running_since IS NOT NULL AND NOT resolution_breached THEN resolution_due_at END
    )
  ) STORED
);

CREATE INDEX ticket_sla_check ON ticket (sla_check_at) WHERE sla_check_at IS NOT NULL;

-- List pages: the default sort and the common filters, each ending in id for stable paging.
CREATE INDEX ticket_tenant_created ON ticket (tenant_id, created_at, id);

CREATE INDEX ticket_tenant_updated ON ticket (tenant_id, updated_at, id);

CREATE INDEX ticket_tenant_status_created ON ticket (tenant_id, status, created_at, id);

CREATE INDEX ticket_tenant_priority_created ON ticket (tenant_id, priority, created_at, id);

CREATE INDEX ticket_tenant_priority_rank ON ticket (tenant_id, priority_rank, id);

CREATE INDEX ticket_tenant_status_rank ON ticket (tenant_id, status_rank, id);

CREATE INDEX ticket_tenant_assignee ON ticket (tenant_id, assignee, created_at, id);

CREATE INDEX ticket_tenant_client ON ticket (tenant_id, client_id, created_at, id);

CREATE INDEX ticket_tenant_requester ON ticket (tenant_id, requester, created_at, id);

CREATE INDEX ticket_tags ON ticket USING gin (tags);

-- `q`: a trigram index answers ILIKE '%…%' without reading every ticket.
CREATE INDEX ticket_search ON ticket USING gin (search_text gin_trgm_ops);

-- The timeline: public and internal comments and recorded changes (status, priority, links, SLA, alerts).
CREATE TABLE ticket_entry (
  id                  uuid PRIMARY KEY,
  -- Entries written in one transaction share their time: the sequence keeps the order they were written in.
  seq                 bigint GENERATED ALWAYS AS IDENTITY,
  tenant_id           text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  ticket_id           uuid NOT NULL REFERENCES ticket (id) ON DELETE CASCADE,
  kind                text NOT NULL CHECK (kind IN ('comment', 'status', 'priority', 'assignment', 'link', 'sla', 'alert', 'escalation', 'change')),
  visibility          text NOT NULL DEFAULT 'internal' CHECK (visibility IN ('public', 'internal')),
  author              text NOT NULL DEFAULT 'system',
  body                text NOT NULL DEFAULT '',
  data                jsonb NOT NULL DEFAULT '{}',
  time_spent_minutes  integer NOT NULL DEFAULT 0 CHECK (time_spent_minutes >= 0),
  billable            boolean NOT NULL DEFAULT false,
  created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ticket_entry_ticket ON ticket_entry (ticket_id, created_at, seq);

CREATE INDEX ticket_entry_billable ON ticket_entry (tenant_id, created_at) WHERE billable;

CREATE TABLE asset (
  id           uuid PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  name         text NOT NULL,
  kind         text NOT NULL DEFAULT 'server',
  state        text NOT NULL DEFAULT 'active' CHECK (state IN ('planned', 'active', 'maintenance', 'retired')),
  client_id    text,
  owner        text,
  serial       text,
  location     text,
  attributes   jsonb NOT NULL DEFAULT '{}',
  version      integer NOT NULL DEFAULT 1,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX asset_tenant_name ON asset (tenant_id, lower(name), id);

CREATE TABLE runbook (
  id           uuid PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  title        text NOT NULL,
  body         text NOT NULL DEFAULT '',
  tags         text[] NOT NULL DEFAULT '{}',
  version      integer NOT NULL DEFAULT 1,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX runbook_tenant_title ON runbook (tenant_id, lower(title), id);

CREATE TABLE ticket_asset (
  tenant_id    text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  ticket_id    uuid NOT NULL REFERENCES ticket (id) ON DELETE CASCADE,
  asset_id     uuid NOT NULL REFERENCES asset (id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ticket_id, asset_id)
);

CREATE INDEX ticket_asset_asset ON ticket_asset (asset_id);

CREATE TABLE ticket_runbook (
  tenant_id    text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  ticket_id    uuid NOT NULL REFERENCES ticket (id) ON DELETE CASCADE,
  runbook_id   uuid NOT NULL REFERENCES runbook (id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ticket_id, runbook_id)
);

CREATE INDEX ticket_runbook_runbook ON ticket_runbook (runbook_id);

-- Which rule opens a ticket for which firing alert: every condition given must match.
CREATE TABLE alert_ticket_rule (
  id                  uuid PRIMARY KEY,
  tenant_id           text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  name                text NOT NULL,
  enabled             boolean NOT NULL DEFAULT true,
  source              text,
  min_severity        text NOT NULL DEFAULT 'warning' CHECK (min_severity IN ('info', 'warning', 'critical')),
  labels              jsonb NOT NULL DEFAULT '{}',
  priority            text NOT NULL DEFAULT 'high' CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
  assignee            text,
  resolve_on_recovery boolean NOT NULL DEFAULT false,
  version             integer NOT NULL DEFAULT 1,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX alert_ticket_rule_tenant ON alert_ticket_rule (tenant_id, created_at, id);

-- A core alert linked to a ticket. One ticket per fingerprint stays open: further firings of the
-- same fingerprint join it (the partial unique index holds that even with two nodes racing).
CREATE TABLE ticket_alert (
  tenant_id    text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  ticket_id    uuid NOT NULL REFERENCES ticket (id) ON DELETE CASCADE,
  alert_id     uuid NOT NULL,
  fingerprint  text NOT NULL,
  rule_id      uuid REFERENCES alert_ticket_rule (id) ON DELETE SET NULL,
  open         boolean NOT NULL DEFAULT true,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ticket_id, alert_id)
);

CREATE UNIQUE INDEX ticket_alert_open_fingerprint ON ticket_alert (tenant_id, fingerprint) WHERE open;

CREATE INDEX ticket_alert_alert ON ticket_alert (alert_id);

-- Alert events already turned into ticket changes: every node hears every event, one applies it.
CREATE TABLE ticket_alert_event (
  tenant_id    text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  event_id     text NOT NULL,
  handled_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id)
);

CREATE INDEX ticket_alert_event_handled ON ticket_alert_event (handled_at);
