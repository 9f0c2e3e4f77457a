import { AppError, type DatabaseService, defineList, type EventsService, type JobsService, type OperationRequest } from '../../../core/plugin-api/index.ts';
import { scanPlan } from './update-scan.ts';

type Req<B = unknown, P = Record<string, string>, Q = Record<string, unknown>> = OperationRequest<B, P, Q>;

const tenantOf = (req: Req<unknown, unknown, unknown>): string => {
  if (!req.tenantId) throw new AppError('not_found', 'No workspace');
  return req.tenantId;
};
const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);

type UpdateRow = {
  container_id: string;
  name: string;
  image: string;
  registry: string | null;
  repository: string | null;
  current_tag: string | null;
  current_digest: string | null;
  latest_tag: string | null;
  latest_digest: string | null;
  update_type: string;
  status: string;
  error: string | null;
  checked_at: Date | null;
  detected_at: Date | null;
  pinned: boolean;
};

const updateView = (r: UpdateRow) => ({
  containerId: r.container_id,
  containerName: r.name,
  image: r.image,
  registry: r.registry,
  repository: r.repository,
  currentTag: r.current_tag,
  currentDigest: r.current_digest,
  latestTag: r.latest_tag,
  latestDigest: r.latest_digest,
  updateType: r.update_type,
  status: r.status,
  error: r.error,
  pinned: r.pinned,
  checkedAt: iso(r.checked_at),
  detectedAt: iso(r.detected_at),
});

const withContainer = `(SELECT u.*, c.name, EXISTS (SELECT 1 FROM update_pin p WHERE p.container_id = u.container_id) AS pinned
  FROM image_update u JOIN container c ON c.id = u.container_id) u`;

const updateList = defineList({
  from: withContainer,
  sortable: {
    name: 'lower(u.name)',
    detectedAt: 'u.detected_at',
    updateType: "CASE u.update_type WHEN 'major' THEN 0 WHEN 'minor' THEN 1 WHEN 'patch' THEN 2 ELSE 3 END",
  },
  defaultSort: 'name',
  equals: { status: 'u.status', update_type: 'u.update_type' },
  search: ['u.name', 'u.image'],
  tieBreaker: 'u.container_id',
  view: updateView,
});

const scanView = (s: Record<string, any>) => ({
  scanId: s.id,
  status: s.status,
  requestedAt: iso(s.requested_at),
  startedAt: iso(s.started_at),
  finishedAt: iso(s.finished_at),
  containersChecked: s.containers_checked,
  updatesFound: s.updates_found,
  error: s.error ?? null,
});

/** Image updates (seed 004): the scan's findings, summary, scans as jobs, dry run, pins and exclusions. */
export function updateHandlers(deps: { database: DatabaseService; events: EventsService; jobs: JobsService; clock: () => Date }) {
  const container = async (tenantId: string, id: string) => {
    const [c] = await deps.database
      .forTenant(tenantId)
      .query<{ id: string; name: string; image: string; image_digest: string | null }>('SELECT id, name, image, image_digest FROM container WHERE id = ?', [
        id,
      ]);
    if (!c) throw new AppError('not_found', `Container ${id} was not found`);
    return c;
  };

  return {
    listUpdates(req: Req) {
      const query = { ...req.query };
      // Without a status filter the list is what can be updated: the available ones.
      if (query.status === undefined && query.update_type === undefined) query.status = 'available';
      return updateList.page(deps.database.forTenant(tenantOf(req)), query);
    },

    async getUpdatesSummary(req: Req) {
      const db = deps.database.forTenant(tenantOf(req));
      // The last scan first, the counts after: each statement reads what has committed when it
      // starts, and a scan commits its results with its completion, so counts read afterwards
      // hold what the scan shown wrote. (In the other order a scan committing in between was shown
      // completed beside the counts from before it: CI's "daily job" flake, total 0.)
      const [last] = await db.query('SELECT * FROM update_scan ORDER BY requested_at DESC LIMIT 1');
      const counts = await db.query<{ status: string; update_type: string; n: string }>(
        'SELECT status, update_type, count(*) AS n FROM image_update GROUP BY status, update_type',
      );
      const count = (f: (c: { status: string; update_type: string }) => boolean) => counts.filter(f).reduce((sum, c) => sum + Number(c.n), 0);
      return {
        total: count(() => true),
        available: count((c) => c.status === 'available'),
        byType: Object.fromEntries(['major', 'minor', 'patch', 'digest'].map((t) => [t, count((c) => c.status === 'available' && c.update_type === t)])),
        upToDate: count((c) => c.status === 'up_to_date'),
        pinned: count((c) => c.status === 'pinned'),
        excluded: count((c) => c.status === 'excluded'),
        errors: count((c) => c.status === 'error'),
        lastScan: last ? scanView(last) : null,
      };
    },

    async triggerUpdateScan(req: Req) {
      const tenantId = tenantOf(req);
      const scan = await deps.database.forTenant(tenantId).transaction(async (tx) => {
        // ON CONFLICT against the one-open-scan index: two requests at once get one scan and one 409, never a 500.
        const [row] = await tx.query<{ id: string }>(
          `INSERT INTO update_scan (tenant_id, requested_at) VALUES (?, ?)
           ON CONFLICT (tenant_id) WHERE status IN ('queued', 'running') DO NOTHING RETURNING *`,
          [tenantId, deps.clock().toISOString()],
        );
        if (row) return row;
        const [open] = await tx.query<{ id: string }>("SELECT id FROM update_scan WHERE status IN ('queued', 'running')");
        throw new AppError('conflict', `Scan ${open?.id ?? ''} is still in progress`, { details: { scanId: open?.id ?? null } });
      });
      await deps.jobs.send('containers.update_scan', { tenantId, scanId: scan.id }, { singletonKey: scan.id });
      return { status: 202, body: scanView(scan) };
    },

    async getUpdateScan(req: Req<unknown, { scan_id: string }>) {
      const [scan] = await deps.database.forTenant(tenantOf(req)).query('SELECT * FROM update_scan WHERE id = ?', [req.params.scan_id]);
      if (!scan) throw new AppError('not_found', `Scan ${req.params.scan_id} was not found`);
      return scanView(scan);
    },

    async getUpdatesDryRun(req: Req) {
      const plan = await scanPlan(deps.database, tenantOf(req));
      return {
        containers: plan.map((p) => ({
          containerId: p.container.id,
          name: p.container.name,
          image: p.container.image,
          registry: p.ref?.registry ?? null,
          repository: p.ref?.repository ?? null,
          tag: p.ref?.tag ?? null,
          action: p.action,
          reason: p.reason,
        })),
        checks: plan.filter((p) => p.action === 'check').length,
        skips: plan.filter((p) => p.action === 'skip').length,
      };
    },

    async getContainerUpdate(req: Req<unknown, { container_id: string }>) {
      const tenantId = tenantOf(req);
      const c = await container(tenantId, req.params.container_id);
      const [row] = await deps.database.forTenant(tenantId).query<UpdateRow>(`SELECT * FROM ${withContainer} WHERE u.container_id = ?`, [c.id]);
      if (row) return updateView(row);
      const [pin] = await deps.database.forTenant(tenantId).query('SELECT 1 FROM update_pin WHERE container_id = ?', [c.id]);
      // Never scanned: what is known of it, and no verdict.
      return {
        ...updateView({
          container_id: c.id,
          name: c.name,
          image: c.image,
          registry: null,
          repository: null,
          current_tag: null,
          current_digest: c.image_digest,
          latest_tag: null,
          latest_digest: null,
          update_type: 'none',
          status: 'unchecked',
          error: null,
          checked_at: null,
          detected_at: null,
          pinned: Boolean(pin),
        }),
      };
    },

    async pinContainerVersion(req: Req<{ reason?: string } | undefined, { container_id: string }>) {
      const tenantId = tenantOf(req);
      const pin = await deps.database.forTenant(tenantId).transaction(async (tx) => {
        const [c] = await tx.query<{ id: string; name: string; image: string; image_digest: string | null }>(
          'SELECT id, name, image, image_digest FROM container WHERE id = ? FOR UPDATE',
          [req.params.container_id],
        );
        if (!c) throw new AppError('not_found', `Container ${req.params.container_id} was not found`);
        const [row] = await tx.query<Record<string, any>>(
          `INSERT INTO update_pin (tenant_id, container_id, image, digest, reason, pinned_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (container_id) DO UPDATE SET image = excluded.image, digest = excluded.digest, reason = excluded.reason, pinned_at = excluded.pinned_at
           RETURNING *`,
          [tenantId, c.id, c.image, c.image_digest, req.body?.reason ?? null, deps.clock().toISOString()],
        );
        await tx.query("UPDATE image_update SET status = 'pinned' WHERE container_id = ? AND status = 'available'", [c.id]);
        await deps.events.publish(tx, {
          topic: 'update.pinned',
          tenantId,
          payload: { containerId: c.id, name: c.name, image: c.image, digest: c.image_digest },
        });
        return row;
      });
      return { containerId: pin.container_id, image: pin.image, digest: pin.digest, reason: pin.reason, pinnedAt: iso(pin.pinned_at) };
    },

    async unpinContainerVersion(req: Req<unknown, { container_id: string }>) {
      const tenantId = tenantOf(req);
      await deps.database.forTenant(tenantId).transaction(async (tx) => {
        const [c] = await tx.query<{ id: string; name: string; image: string }>('SELECT id, name, image FROM container WHERE id = ?', [
          req.params.container_id,
        ]);
        if (!c) throw new AppError('not_found', `Container ${req.params.container_id} was not found`);
        const gone = await tx.query('DELETE FROM update_pin WHERE container_id = ? RETURNING 1', [c.id]);
        if (gone.length === 0) throw new AppError('not_found', `Container ${c.name} is not pinned`);
        // What the last scan found is offered again.
        await tx.query("UPDATE image_update SET status = 'available' WHERE container_id = ? AND status = 'pinned' AND update_type <> 'none'", [c.id]);
        await tx.query("UPDATE image_update SET status = 'up_to_date' WHERE container_id = ? AND status = 'pinned'", [c.id]);
        await deps.events.publish(tx, { topic: 'update.unpinned', tenantId, payload: { containerId: c.id, name: c.name, image: c.image } });
      });
      return { status: 204 };
    },

    async listUpdateExclusions(req: Req) {
      const rows = await deps.database.forTenant(tenantOf(req)).query<Record<string, any>>('SELECT * FROM update_exclusion ORDER BY created_at, id');
      return { data: rows.map((r) => ({ id: r.id, pattern: r.pattern, reason: r.reason, createdAt: iso(r.created_at) })) };
    },

    async createUpdateExclusion(req: Req<{ pattern: string; reason?: string }>) {
      const tenantId = tenantOf(req);
      const rows = await deps.database
        .forTenant(tenantId)
        .query<Record<string, any>>(
          'INSERT INTO update_exclusion (tenant_id, pattern, reason, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, pattern) DO NOTHING RETURNING *',
          [tenantId, req.body.pattern.trim(), req.body.reason ?? null, deps.clock().toISOString()],
        );
      if (rows.length === 0) throw new AppError('conflict', `An exclusion for ${req.body.pattern} exists already`);
      const r = rows[0];
      return { status: 201, body: { id: r.id, pattern: r.pattern, reason: r.reason, createdAt: iso(r.created_at) } };
    },

    async deleteUpdateExclusion(req: Req<unknown, { id: string }>) {
      const gone = await deps.database.forTenant(tenantOf(req)).query('DELETE FROM update_exclusion WHERE id = ? RETURNING 1', [req.params.id]);
      if (gone.length === 0) throw new AppError('not_found', `Exclusion ${req.params.id} was not found`);
      return { status: 204 };
    },
  };
}
