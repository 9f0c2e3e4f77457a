import { AppError, type DatabaseService, type EventsService, type OperationRequest, type PlatformEvent } from '../../../core/plugin-api/index.ts';
import type { ComponentStatus } from './status-components.ts';
import { type PageComponent, renderNoStatusPage, renderStatusPage, statusPageHeaders } from './status-page-render.ts';
import { workspaceOfSlug } from './status-settings.handlers.ts';
import { statusStream } from './status-page-stream.ts';
import { pageIncidents, pageMaintenances } from './status-posts.handlers.ts';
import { dailyUptime, type StatusChange } from './status-uptime.ts';

const DAYS = 90;
const DAY = 86_400_000;

type Row = {
  id: string;
  group_id: string | null;
  name: string;
  description: string | null;
  monitor_type: string;
  monitor_id: string;
  status: ComponentStatus | null;
  since: Date | null;
  when_paused: 'show' | 'hide';
};

type PageQuery = { workspace?: string };

const streamTopics: ReadonlySet<string> = new Set([
  'status_page.component_changed',
  'status_page.updated',
  'status_page.incident_changed',
  'status_page.maintenance_changed',
]);

/**
 * What a public stream says of an event: a component's id, status and since, that the page
 * changed, or a staff post as the page shows it (written to be public). Never component names or
 * monitor ids.
 */
function publicEvent(event: PlatformEvent) {
  const p = event.payload as { componentId?: string; status?: string; since?: string };
  if (event.topic === 'status_page.component_changed') return { event: 'component', data: { id: p.componentId, status: p.status, since: p.since ?? null } };
  if (event.topic === 'status_page.updated') return { event: 'page', data: {} };
  if (event.topic === 'status_page.incident_changed') return { event: 'incident', data: event.payload };
  if (event.topic === 'status_page.maintenance_changed') return { event: 'maintenance', data: event.payload };
  return undefined;
}

/**
 * The public status page of a workspace and its live stream. The page is named by its published
 * slug, `?workspace=<slug>`, else by the `x-workspace-id` header read as a slug too (a reverse proxy
 * can set it per host name, e.g. status.example.com → acme). Never by the workspace id: an unknown
 * slug, a workspace that published none and one without components all answer the same 404, so
 * nothing is learned of which workspaces exist.
 */
export function statusPageHandlers(deps: { database: DatabaseService; events: EventsService; clock: () => Date; maxStreams?: number }) {
  const { database, clock } = deps;
  const maxStreams = deps.maxStreams ?? 5000;
  let openStreams = 0;

  const slugOf = (req: OperationRequest<unknown, Record<string, string>, PageQuery>) => {
    const header = req.headers['x-workspace-id'];
    return req.query.workspace ?? (typeof header === 'string' ? header : undefined);
  };

  const components = (tenantId: string) =>
    database.forTenant(tenantId).query<Row>(
      `SELECT c.id, c.group_id, c.name, c.description, c.monitor_type, c.monitor_id, c.when_paused, m.status, m.since FROM status_component c
       LEFT JOIN status_monitor m ON m.tenant_id = c.tenant_id AND m.monitor_type = c.monitor_type AND m.monitor_id = c.monitor_id
       ORDER BY c.position, lower(c.name), c.id`,
    );

  /** Each bound monitor's changes in the window, led by the last change before it. */
  const history = async (tenantId: string, from: Date) => {
    const rows = await database.forTenant(tenantId).query<{ monitor_type: string; monitor_id: string; status: ComponentStatus; at: Date }>(
      `WITH bound AS (SELECT DISTINCT monitor_type, monitor_id FROM status_component)
       SELECT * FROM (
         SELECT b.monitor_type, b.monitor_id, before.status, before.at, 0 AS part, 0::bigint AS id FROM bound b
         CROSS JOIN LATERAL (
           SELECT h.status, h.at FROM status_monitor_change h
           WHERE h.monitor_type = b.monitor_type AND h.monitor_id = b.monitor_id AND h.at < ?
           ORDER BY h.at DESC, h.id DESC LIMIT 1) before
         UNION ALL
         SELECT h.monitor_type, h.monitor_id, h.status, h.at, 1 AS part, h.id FROM status_monitor_change h
         JOIN bound b ON b.monitor_type = h.monitor_type AND b.monitor_id = h.monitor_id
         WHERE h.at >= ?) x
       ORDER BY at, part, id`,
      [from.toISOString(), from.toISOString()],
    );
    const byMonitor = new Map<string, StatusChange[]>();
    for (const r of rows) {
      const key = `${r.monitor_type}:${r.monitor_id}`;
      const list = byMonitor.get(key) ?? byMonitor.set(key, []).get(key);
      list?.push({ at: new Date(r.at), status: r.status });
    }
    return byMonitor;
  };

  const groups = (tenantId: string) =>
    database
      .forTenant(tenantId)
      .query<{ id: string; name: string; description: string | null }>('SELECT id, name, description FROM status_group ORDER BY position, lower(name), id');

  /** The workspace's display name; the slug where it has none. */
  const displayName = async (tenantId: string, slug: string) => {
    // The workspace's handle sees its own tenant row only.
    const [row] = await database.forTenant(tenantId).query<{ name: string | null }>('SELECT name FROM tenant');
    return row?.name?.trim() || slug;
  };

  const posts = (tenantId: string, now: Date) =>
    database
      .forTenant(tenantId)
      .transaction(async (tx) => ({ incidents: await pageIncidents(tx.query, now), maintenances: await pageMaintenances(tx.query, now) }));

  const notFound = () => ({ status: 404, headers: statusPageHeaders, body: renderNoStatusPage() });

  return {
    async getStatusPage(req: OperationRequest<unknown, Record<string, string>, PageQuery>) {
      const slug = slugOf(req);
      const workspace = await workspaceOfSlug(database, slug);
      if (!slug || !workspace) return notFound();
      const now = clock();
      const windowStart = new Date(Math.floor(now.getTime() / DAY) * DAY - (DAYS - 1) * DAY);
      const [rows, groupRows, changes, title, staff] = await Promise.all([
        components(workspace),
        groups(workspace),
        history(workspace, windowStart),
        displayName(workspace, slug),
        posts(workspace, now),
      ]);
      if (rows.length === 0) return notFound();
      const pageComponents: PageComponent[] = rows.map((r) => ({
        id: r.id,
        name: r.name,
        description: r.description,
        groupId: r.group_id,
        status: r.status ?? 'unknown',
        since: r.since ? new Date(r.since) : null,
        hideWhenPaused: r.when_paused === 'hide',
        uptime: dailyUptime(changes.get(`${r.monitor_type}:${r.monitor_id}`) ?? [], now, DAYS),
      }));
      const html = renderStatusPage({
        workspace: slug,
        title,
        ...staff,
        generatedAt: now,
        groups: groupRows,
        components: pageComponents,
        eventsUrl: `/status/events?workspace=${encodeURIComponent(slug)}`,
      });
      return { status: 200, headers: statusPageHeaders, body: html };
    },

    async streamStatusEvents(req: OperationRequest<unknown, Record<string, string>, PageQuery>) {
      const workspace = await workspaceOfSlug(database, slugOf(req));
      const exists = workspace ? await database.forTenant(workspace).query('SELECT 1 FROM status_component LIMIT 1') : [];
      if (!workspace || exists.length === 0) throw new AppError('not_found', 'There is no status page for this workspace');
      if (openStreams >= maxStreams)
        throw new AppError('unavailable', 'Too many open status streams on this server; retry later', { headers: { 'Retry-After': '30' } });
      openStreams++;
      return statusStream({
        events: deps.events,
        tenantId: workspace,
        signal: req.signal,
        topics: streamTopics,
        format: publicEvent,
        onClose: () => {
          openStreams--;
        },
        // Read after subscribing, so no change falls in between.
        snapshot: async () => ({
          components: (await components(workspace)).map((r) => ({
            id: r.id,
            status: r.status ?? 'unknown',
            since: r.since ? new Date(r.since).toISOString() : null,
          })),
          ...(await posts(workspace, clock())),
        }),
      });
    },
  };
}
