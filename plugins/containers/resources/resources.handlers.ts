import { AppError, type DatabaseService, type OperationRequest } from '../../../core/plugin-api/index.ts';
import { memoryPercent } from './resource-snapshots.ts';

export const historyRanges = { '1h': 3600, '6h': 21_600, '24h': 86_400, '48h': 172_800, '7d': 604_800 } as const;
/** Points a history answer holds at most: the range is cut into this many buckets. */
const historyPoints = 120;

type Req<B = unknown, Q = Record<string, unknown>> = OperationRequest<B, { id: string }, Q>;

const tenantOf = (req: Req<unknown, unknown>): string => {
  if (!req.tenantId) throw new AppError('not_found', 'No workspace');
  return req.tenantId;
};
const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);
const round2 = (n: number | null) => (n === null ? null : Math.round(n * 100) / 100);

interface Latest {
  at: Date;
  cpu_percent: number;
  memory_bytes: string;
  memory_limit_bytes: string | null;
  network_rx_bytes: string;
  network_tx_bytes: string;
  block_read_bytes: string;
  block_write_bytes: string;
  pids: number | null;
  network_rx_per_second: number;
  network_tx_per_second: number;
  block_read_per_second: number;
  block_write_per_second: number;
}

export interface ThresholdsInput {
  cpuPercent?: number | null;
  memoryPercent?: number | null;
  memoryBytes?: number | null;
  enabled?: boolean;
}

/** Current readings, downsampled history, alert thresholds, the workspace summary and top consumers. */
export function resourceHandlers(deps: { database: DatabaseService; clock: () => Date }) {
  const container = async (tenantId: string, id: string) => {
    const [row] = await deps.database.forTenant(tenantId).query<{ id: string; name: string }>('SELECT id, name FROM container WHERE id = ?', [id]);
    if (!row) throw new AppError('not_found', `Container ${id} was not found`);
    return row;
  };
  const thresholdsView = (containerId: string, row?: Record<string, any>) => ({
    containerId,
    cpuPercent: row?.cpu_percent ?? null,
    memoryPercent: row?.memory_percent ?? null,
    memoryBytes: row?.memory_bytes == null ? null : Number(row.memory_bytes),
    enabled: row?.enabled ?? true,
    firing: { cpu: row?.cpu_firing ?? false, memory: row?.memory_firing ?? false },
    updatedAt: iso(row?.updated_at),
  });

  return {
    async getContainerResourcesCurrent(req: Req) {
      const tenantId = tenantOf(req);
      await container(tenantId, req.params.id);
      const [l] = await deps.database.forTenant(tenantId).query<Latest>('SELECT * FROM container_resource_latest WHERE container_id = ?', [req.params.id]);
      if (!l)
        return {
          containerId: req.params.id,
          at: null,
          cpuPercent: null,
          memoryBytes: null,
          memoryLimitBytes: null,
          memoryPercent: null,
          network: null,
          blockIo: null,
          pids: null,
        };
      const memory = { memoryBytes: Number(l.memory_bytes), memoryLimitBytes: l.memory_limit_bytes === null ? null : Number(l.memory_limit_bytes) };
      return {
        containerId: req.params.id,
        at: iso(l.at),
        cpuPercent: round2(l.cpu_percent),
        ...memory,
        memoryPercent: memoryPercent(memory),
        network: {
          rxBytes: Number(l.network_rx_bytes),
          txBytes: Number(l.network_tx_bytes),
          rxBytesPerSecond: round2(l.network_rx_per_second),
          txBytesPerSecond: round2(l.network_tx_per_second),
        },
        blockIo: {
          readBytes: Number(l.block_read_bytes),
          writeBytes: Number(l.block_write_bytes),
          readBytesPerSecond: round2(l.block_read_per_second),
          writeBytesPerSecond: round2(l.block_write_per_second),
        },
        pids: l.pids,
      };
    },

    async getContainerResourcesHistory(req: Req<unknown, { range?: keyof typeof historyRanges }>) {
      const tenantId = tenantOf(req);
      await container(tenantId, req.params.id);
      const range = req.query.range ?? '24h';
      const seconds = historyRanges[range];
      const bucket = Math.max(10, Math.ceil(seconds / historyPoints));
      const to = deps.clock();
      const from = new Date(to.getTime() - seconds * 1000);
      const points = await deps.database.forTenant(tenantId).query<Record<string, string | number | Date | null>>(
        `SELECT date_bin(? * interval '1 second', at, ?::timestamptz) AS bucket, avg(cpu_percent) AS cpu, max(cpu_percent) AS cpu_max,
           avg(memory_bytes) AS memory, max(memory_bytes) AS memory_max,
           greatest(0, max(network_rx_bytes) - min(network_rx_bytes)) AS rx, greatest(0, max(network_tx_bytes) - min(network_tx_bytes)) AS tx,
           greatest(0, max(block_read_bytes) - min(block_read_bytes)) AS br, greatest(0, max(block_write_bytes) - min(block_write_bytes)) AS bw,
           extract(epoch FROM max(at) - min(at)) AS span
         FROM container_resource_sample WHERE container_id = ? AND at >= ? AND at <= ? GROUP BY 1 ORDER BY 1`,
        [bucket, from.toISOString(), req.params.id, from.toISOString(), to.toISOString()],
      );
      // Counters grow within a bucket: their rise over the time the bucket's readings span is the rate.
      const per = (value: unknown, span: unknown) => (Number(span) > 0 ? round2(Number(value) / Number(span)) : null);
      return {
        containerId: req.params.id,
        range,
        from: from.toISOString(),
        to: to.toISOString(),
        bucketSeconds: bucket,
        points: points.map((p) => ({
          at: iso(p.bucket as Date),
          cpuPercent: round2(Number(p.cpu)),
          cpuPercentMax: round2(Number(p.cpu_max)),
          memoryBytes: Math.round(Number(p.memory)),
          memoryBytesMax: Number(p.memory_max),
          networkRxBytesPerSecond: per(p.rx, p.span),
          networkTxBytesPerSecond: per(p.tx, p.span),
          blockReadBytesPerSecond: per(p.br, p.span),
          blockWriteBytesPerSecond: per(p.bw, p.span),
        })),
      };
    },

    async getContainerResourceAlerts(req: Req) {
      const tenantId = tenantOf(req);
      await container(tenantId, req.params.id);
      const [row] = await deps.database.forTenant(tenantId).query('SELECT * FROM container_resource_alert WHERE container_id = ?', [req.params.id]);
      return thresholdsView(req.params.id, row);
    },

    async putContainerResourceAlerts(req: Req<ThresholdsInput>) {
      const tenantId = tenantOf(req);
      const b = req.body;
      const row = await deps.database.forTenant(tenantId).transaction(async (tx) => {
        const [c] = await tx.query('SELECT id FROM container WHERE id = ? FOR UPDATE', [req.params.id]);
        if (!c) throw new AppError('not_found', `Container ${req.params.id} was not found`);
        const [current] = await tx.query<Record<string, any>>('SELECT * FROM container_resource_alert WHERE container_id = ?', [req.params.id]);
        const pick = <K extends keyof ThresholdsInput>(key: K, column: string) => (b[key] !== undefined ? b[key] : (current?.[column] ?? null));
        // A threshold changed: what fired is judged again at the next reading (a firing alert resolves or raises then).
        const [written] = await tx.query<Record<string, any>>(
          `INSERT INTO container_resource_alert (tenant_id, container_id, cpu_percent, memory_percent, memory_bytes, enabled, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (container_id) DO UPDATE SET cpu_percent = excluded.cpu_percent, memory_percent = excluded.memory_percent,
             memory_bytes = excluded.memory_bytes, enabled = excluded.enabled, updated_at = excluded.updated_at
           RETURNING *`,
          [
            tenantId,
            req.params.id,
            pick('cpuPercent', 'cpu_percent'),
            pick('memoryPercent', 'memory_percent'),
            pick('memoryBytes', 'memory_bytes'),
            b.enabled ?? current?.enabled ?? true,
            deps.clock().toISOString(),
          ],
        );
        return written;
      });
      return thresholdsView(req.params.id, row);
    },

    async getResourcesSummary(req: Req) {
      const tenantId = tenantOf(req);
      const recent = new Date(deps.clock().getTime() - 300_000).toISOString();
      const [s] = await deps.database.forTenant(tenantId).query<Record<string, string | null | Date>>(
        `SELECT count(*) AS containers, max(at) AS at, coalesce(sum(cpu_percent), 0) AS cpu, coalesce(sum(memory_bytes), 0) AS memory,
           coalesce(sum(memory_limit_bytes), 0) AS memory_limit, coalesce(sum(network_rx_per_second), 0) AS rx, coalesce(sum(network_tx_per_second), 0) AS tx,
           coalesce(sum(block_read_per_second), 0) AS br, coalesce(sum(block_write_per_second), 0) AS bw,
           (SELECT count(*) FROM container_resource_alert WHERE cpu_firing OR memory_firing) AS firing
         FROM container_resource_latest WHERE at >= ?`,
        [recent],
      );
      return {
        at: iso(s.at as Date | null),
        containers: Number(s.containers),
        cpuPercent: round2(Number(s.cpu)),
        memoryBytes: Number(s.memory),
        memoryLimitBytes: Number(s.memory_limit),
        networkRxBytesPerSecond: round2(Number(s.rx)),
        networkTxBytesPerSecond: round2(Number(s.tx)),
        blockReadBytesPerSecond: round2(Number(s.br)),
        blockWriteBytesPerSecond: round2(Number(s.bw)),
        alertsFiring: Number(s.firing),
      };
    },

    async getResourcesTop(req: Req<unknown, { sort?: 'cpu' | 'memory' | 'network' | 'io'; limit?: number }>) {
      const tenantId = tenantOf(req);
      const sort = req.query.sort ?? 'cpu';
      const limit = req.query.limit ?? 10;
      const order = {
        cpu: 'l.cpu_percent',
        memory: 'l.memory_bytes',
        network: '(l.network_rx_per_second + l.network_tx_per_second)',
        io: '(l.block_read_per_second + l.block_write_per_second)',
      }[sort];
      const recent = new Date(deps.clock().getTime() - 300_000).toISOString();
      const rows = await deps.database.forTenant(tenantId).query<Latest & { container_id: string; name: string }>(
        `SELECT l.*, c.name FROM container_resource_latest l JOIN container c ON c.id = l.container_id
         WHERE l.at >= ? AND c.state = 'running' ORDER BY ${order} DESC, c.name LIMIT ?`,
        [recent, limit],
      );
      return {
        sort,
        limit,
        data: rows.map((l) => {
          const memory = { memoryBytes: Number(l.memory_bytes), memoryLimitBytes: l.memory_limit_bytes === null ? null : Number(l.memory_limit_bytes) };
          return {
            containerId: l.container_id,
            name: l.name,
            at: iso(l.at) as string,
            cpuPercent: round2(l.cpu_percent) as number,
            ...memory,
            memoryPercent: memoryPercent(memory),
            networkBytesPerSecond: round2(l.network_rx_per_second + l.network_tx_per_second) as number,
            blockIoBytesPerSecond: round2(l.block_read_per_second + l.block_write_per_second) as number,
          };
        }),
      };
    },
  };
}
