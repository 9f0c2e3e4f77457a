import { randomBytes } from 'node:crypto';
import { AppError, type DatabaseService, type OperationRequest } from '../../../core/plugin-api/index.ts';
import { dailyUptime } from '../heartbeats/heartbeat-uptime.ts';
import { type BadgeFace, badgeColors, badgeSvg, etagOf } from './badge-render.ts';

type TargetType = 'heartbeat' | 'endpoint' | 'component' | 'tag';
const tables: Record<Exclude<TargetType, 'tag'>, string> = { heartbeat: 'heartbeat', endpoint: 'endpoint', component: 'status_component' };
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// A tag's badge shows its worst monitor: down before late before up; paused and new monitors do not count.
const tagRank: Record<string, number> = { down: 3, late: 2, up: 1 };
const tagWords: [string, string][] = [
  ['unknown', badgeColors.unknown],
  ['up', badgeColors.up],
  ['late', badgeColors.late],
  ['down', badgeColors.down],
];

const heartbeatWords: Record<string, [string, string]> = {
  up: ['up', badgeColors.up],
  late: ['late', badgeColors.late],
  down: ['down', badgeColors.down],
  new: ['new', badgeColors.unknown],
  paused: ['paused', badgeColors.unknown],
};
const endpointWords: Record<string, [string, string]> = {
  up: ['up', badgeColors.up],
  down: ['down', badgeColors.down],
  pending: ['pending', badgeColors.unknown],
  paused: ['paused', badgeColors.unknown],
};
const componentWords: Record<string, [string, string]> = {
  operational: ['up', badgeColors.up],
  degraded: ['degraded', badgeColors.late],
  major_outage: ['down', badgeColors.down],
  maintenance: ['maintenance', badgeColors.maintenance],
  paused: ['paused', badgeColors.unknown],
  unknown: ['unknown', badgeColors.unknown],
};

// The same answer for a token that never existed, was rotated away, or whose monitor is gone.
const unknownBadge = () => new AppError('not_found', 'No badge at this address');

/**
 * Public badges of heartbeats, endpoints and status components, and the authenticated operations
 * that hand out and rotate their addresses. A token is 32 random bytes: the URL is the secret.
 */
export function badgeHandlers(deps: { database: DatabaseService; clock: () => Date; absoluteUrl: (path: string) => string }) {
  const { database, clock } = deps;

  const targetOf = (req: OperationRequest): { tenantId: string; type: TargetType; id: string } => {
    const { targetType, id } = req.params as { targetType: TargetType; id: string };
    return { tenantId: req.tenantId as string, type: targetType, id };
  };

  const ensureTarget = async (tenantId: string, type: TargetType, id: string) => {
    const rows =
      type === 'tag'
        ? await database
            .forTenant(tenantId)
            .query('SELECT 1 FROM heartbeat WHERE tags @> ARRAY[?]::text[] UNION ALL SELECT 1 FROM endpoint WHERE tags @> ARRAY[?]::text[] LIMIT 1', [id, id])
        : uuid.test(id)
          ? await database.forTenant(tenantId).query(`SELECT 1 FROM ${tables[type]} WHERE id = ?`, [id])
          : [];
    if (rows.length === 0)
      throw new AppError('not_found', type === 'tag' ? `No monitor carries the tag ${id} in this workspace` : `No ${type} ${id} in this workspace`);
  };

  const view = (type: TargetType, id: string, token: string) => {
    const base = deps.absoluteUrl(`/badge/${token}`);
    return {
      targetType: type,
      targetId: id,
      svgUrl: `${base}/svg`,
      jsonUrl: `${base}/json`,
      shieldsUrl: `${base}/shields`,
      shieldsEndpointUrl: `https://img.shields.io/endpoint?url=${encodeURIComponent(`${base}/shields`)}`,
    };
  };

  const face = async (tenantId: string, type: TargetType, id: string, withUptime: boolean): Promise<BadgeFace | undefined> => {
    const tenant = database.forTenant(tenantId);
    if (type === 'tag') {
      const rows = await tenant.query<{ status: string }>(
        'SELECT DISTINCT status FROM heartbeat WHERE tags @> ARRAY[?]::text[] UNION SELECT DISTINCT status FROM endpoint WHERE tags @> ARRAY[?]::text[]',
        [id, id],
      );
      const worst = Math.max(0, ...rows.map((row) => tagRank[row.status] ?? 0));
      const [message, color] = tagWords[worst];
      return { label: id, message, color };
    }
    if (type === 'heartbeat') {
      const [row] = await tenant.query<{ name: string; status: string; created_at: Date }>('SELECT name, status, created_at FROM heartbeat WHERE id = ?', [id]);
      if (!row) return undefined;
      const [word, color] = heartbeatWords[row.status] ?? ['unknown', badgeColors.unknown];
      const percent = withUptime ? await heartbeatUptime(tenantId, id, new Date(row.created_at)) : null;
      return { label: row.name, message: percent === null ? word : `${word} ${percent.toFixed(2)}%`, color };
    }
    if (type === 'endpoint') {
      const [row] = await tenant.query<{ name: string; status: string }>('SELECT name, status FROM endpoint WHERE id = ?', [id]);
      if (!row) return undefined;
      const [word, color] = endpointWords[row.status] ?? ['unknown', badgeColors.unknown];
      let message = word;
      if (withUptime) {
        const since = new Date(clock().getTime() - 30 * 86_400_000).toISOString();
        const [uptime] = await tenant.query<{ ok: string; total: string }>(
          'SELECT count(*) FILTER (WHERE ok) AS ok, count(*) AS total FROM endpoint_check WHERE endpoint_id = ? AND checked_at >= ?',
          [id, since],
        );
        if (Number(uptime.total) > 0) message = `${word} ${((100 * Number(uptime.ok)) / Number(uptime.total)).toFixed(2)}%`;
      }
      return { label: row.name, message, color };
    }
    const [row] = await tenant.query<{ name: string; status: string | null }>(
      `SELECT c.name, m.status FROM status_component c
       LEFT JOIN status_monitor m ON m.monitor_type = c.monitor_type AND m.monitor_id = c.monitor_id WHERE c.id = ?`,
      [id],
    );
    if (!row) return undefined;
    const [message, color] = componentWords[row.status ?? 'unknown'] ?? ['unknown', badgeColors.unknown];
    return { label: row.name, message, color };
  };

  // Time not down over the last 30 UTC days, as the heartbeat's uptime bars count it.
  const heartbeatUptime = async (tenantId: string, id: string, createdAt: Date): Promise<number | null> => {
    const now = clock();
    const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - 29)).toISOString();
    const tenant = database.forTenant(tenantId);
    const [before] = await tenant.query<{ to_status: string }>(
      'SELECT to_status FROM heartbeat_flip WHERE heartbeat_id = ? AND at < ? ORDER BY at DESC LIMIT 1',
      [id, start],
    );
    const flips = await tenant.query<{ at: Date; to_status: string }>(
      'SELECT at, to_status FROM heartbeat_flip WHERE heartbeat_id = ? AND at >= ? ORDER BY at',
      [id, start],
    );
    const days = dailyUptime({
      flips: flips.map((f) => ({ at: new Date(f.at), to: f.to_status })),
      statusBefore: before?.to_status ?? 'new',
      createdAt,
      now,
      days: 30,
      timeZone: 'UTC',
    });
    const monitored = days.reduce((sum, day) => sum + day.monitoredSeconds, 0);
    const down = days.reduce((sum, day) => sum + (day.downtimeSeconds ?? 0), 0);
    return monitored > 0 ? (100 * (monitored - down)) / monitored : null;
  };

  const issue = async (tenantId: string, type: TargetType, id: string, rotate: boolean) => {
    const token = randomBytes(32).toString('base64url');
    const [row] = await database.forTenant(tenantId).query<{ token: string }>(
      `INSERT INTO monitor_badge (token, tenant_id, target_type, target_id) VALUES (?, ?, ?, ?)
       ON CONFLICT (tenant_id, target_type, target_id) DO UPDATE SET token = ${rotate ? 'EXCLUDED.token' : 'monitor_badge.token'}
       RETURNING token`,
      [token, tenantId, type, id],
    );
    return row.token;
  };

  return {
    async getMonitorBadge(req: OperationRequest) {
      const { tenantId, type, id } = targetOf(req);
      await ensureTarget(tenantId, type, id);
      return view(type, id, await issue(tenantId, type, id, false));
    },

    async rotateMonitorBadge(req: OperationRequest) {
      const { tenantId, type, id } = targetOf(req);
      await ensureTarget(tenantId, type, id);
      return view(type, id, await issue(tenantId, type, id, true));
    },

    async getPublicBadge(req: OperationRequest) {
      const { token, format } = req.params as { token: string; format: 'svg' | 'json' | 'shields' };
      const { uptime } = (req.query ?? {}) as { uptime?: boolean | string };
      const [badge] = await database.platform.query<{ tenant_id: string; target_type: TargetType; target_id: string }>(
        'SELECT tenant_id, target_type, target_id FROM monitor_badge WHERE token = ?',
        [token],
      );
      const shown = badge && (await face(badge.tenant_id, badge.target_type, badge.target_id, uptime === true || uptime === 'true'));
      if (!shown) throw unknownBadge();
      const body =
        format === 'svg'
          ? badgeSvg(shown)
          : JSON.stringify(format === 'shields' ? { schemaVersion: 1, ...shown } : { label: shown.label, status: shown.message, color: shown.color });
      const etag = etagOf(body);
      const headers = {
        'content-type': format === 'svg' ? 'image/svg+xml; charset=utf-8' : 'application/json; charset=utf-8',
        // README images go through caching proxies (GitHub's camo): a minute old at most, then revalidated.
        'cache-control': 'public, max-age=60, s-maxage=60',
        etag,
      };
      const match = String(req.headers['if-none-match'] ?? '');
      if (match.split(/\s*,\s*/).includes(etag)) return { status: 304, headers };
      return { headers, body };
    },
  };
}
