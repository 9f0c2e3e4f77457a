import { AppError, type ImportKindDeclaration, readInPages, type Tx } from '../../../core/plugin-api/index.ts';
import { type HeartbeatRow, rulesOf, stateOf } from './heartbeat-rows.ts';
import { checkCron, isTimeZone } from './heartbeat-schedule.ts';
import { deadlines } from './ping-semantics.ts';

/** A heartbeat as imports read and exports write it: its configuration, keyed by its ping UUID. */
export interface HeartbeatImportRow {
  pingUuid?: string;
  name: string;
  description?: string | null;
  tags?: string[];
  periodSeconds?: number | null;
  cron?: string | null;
  timezone?: string;
  graceSeconds?: number;
  startGraceSeconds?: number | null;
}

const rowSchema = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    pingUuid: { type: 'string', format: 'uuid', description: 'Keeps the ping URL of an exported heartbeat; a row with a known one updates that heartbeat.' },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    description: { type: ['string', 'null'], maxLength: 2000 },
    tags: { type: 'array', maxItems: 20, items: { type: 'string', minLength: 1, maxLength: 64 } },
    periodSeconds: { type: ['integer', 'null'], minimum: 1, maximum: 31_536_000 },
    cron: { type: ['string', 'null'], minLength: 1, maxLength: 200 },
    timezone: { type: 'string', minLength: 1, maxLength: 64 },
    graceSeconds: { type: 'integer', minimum: 0, maximum: 31_536_000 },
    startGraceSeconds: { type: ['integer', 'null'], minimum: 1, maximum: 31_536_000 },
  },
};

/** The checks the contract's schema cannot say (one schedule, a cron that parses, a known time zone). */
function checkRow(row: HeartbeatImportRow): void {
  const problems: { path: string; message: string }[] = [];
  const cron = row.cron?.trim() || null;
  if (cron !== null && row.periodSeconds != null) problems.push({ path: '/cron', message: 'give either periodSeconds or cron, not both' });
  const timezone = row.timezone ?? 'UTC';
  if (cron !== null) problems.push(...checkCron(cron, timezone, ''));
  else if (!isTimeZone(timezone)) problems.push({ path: '/timezone', message: 'must be an IANA time zone name, e.g. Europe/Berlin' });
  if (problems.length > 0) throw new AppError('validation_failed', problems[0].message, { details: problems });
}

/**
 * Heartbeats as an import kind: new rows become `new` heartbeats (a fresh ping UUID unless the row
 * brings its own, as an export from another installation does); a row whose ping UUID is one of
 * the workspace's updates that heartbeat's configuration and moves its deadlines to match.
 */
export const heartbeatImportKind: ImportKindDeclaration<HeartbeatImportRow & Record<string, unknown>> = {
  name: 'heartbeats',
  description: 'Heartbeat monitors (cron jobs, backups) with their schedule; pingUuid keeps ping URLs across installations.',
  rowSchema,
  async upsert(tx: Tx, rows) {
    for (const row of rows) checkRow(row);
    const written = await tx.query<HeartbeatRow & { updated: boolean }>(
      `INSERT INTO heartbeat (id, tenant_id, ping_uuid, name, description, tags, kind, period_seconds, cron, timezone, grace_seconds, start_grace_seconds,
         status, status_changed_at, created_at, updated_at)
       SELECT gen_random_uuid(), ?, coalesce(r."pingUuid", gen_random_uuid()), btrim(r.name), r.description, coalesce(r.tags, '{}'),
         CASE WHEN nullif(btrim(r.cron), '') IS NULL THEN 'period' ELSE 'cron' END,
         CASE WHEN nullif(btrim(r.cron), '') IS NULL THEN coalesce(r."periodSeconds", 86400) END,
         nullif(btrim(r.cron), ''), coalesce(r.timezone, 'UTC'), coalesce(r."graceSeconds", 3600), r."startGraceSeconds", 'new', now(), now(), now()
       FROM jsonb_to_recordset(?::jsonb) AS r("pingUuid" uuid, name text, description text, tags text[], "periodSeconds" integer, cron text,
         timezone text, "graceSeconds" integer, "startGraceSeconds" integer)
       ON CONFLICT (ping_uuid) DO UPDATE SET name = excluded.name, description = excluded.description, tags = excluded.tags, kind = excluded.kind,
         period_seconds = excluded.period_seconds, cron = excluded.cron, timezone = excluded.timezone, grace_seconds = excluded.grace_seconds,
         start_grace_seconds = excluded.start_grace_seconds, updated_at = now()
       RETURNING *, (xmax <> 0) AS updated`,
      [tx.tenantId, JSON.stringify(rows.map((row) => ({ ...row, tags: row.tags ?? null })))],
    );
    // A changed schedule moves the deadlines of a running heartbeat now, not at its next ping.
    const moved = written
      .filter((row) => row.updated)
      .map((row) => ({ id: row.id, ...deadlines(rulesOf(row), stateOf(row)) }))
      .map((d) => ({
        id: d.id,
        expectedAt: d.expectedAt?.toISOString() ?? null,
        downAt: d.downAt?.toISOString() ?? null,
        dueAt: d.dueAt?.toISOString() ?? null,
      }));
    if (moved.length > 0) {
      await tx.query(
        `UPDATE heartbeat h SET expected_at = d."expectedAt", down_at = d."downAt", due_at = d."dueAt"
         FROM jsonb_to_recordset(?::jsonb) AS d(id uuid, "expectedAt" timestamptz, "downAt" timestamptz, "dueAt" timestamptz) WHERE h.id = d.id`,
        [JSON.stringify(moved)],
      );
    }
  },
  read: (tx) =>
    readInPages(
      tx,
      `SELECT ping_uuid AS "pingUuid", name, description, tags, period_seconds AS "periodSeconds", cron, timezone, grace_seconds AS "graceSeconds",
         start_grace_seconds AS "startGraceSeconds"
       FROM heartbeat ORDER BY name, ping_uuid`,
    ),
};
