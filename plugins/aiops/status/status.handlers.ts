import type { DatabaseService, OperationRequest } from '../../../core/plugin-api/index.ts';
import { watchdogCounters } from '../watchdog/watchdog-round.ts';

export interface StatusDeps {
  database: DatabaseService;
  version: string;
  /** Whether this node runs the watchdog (job workers enabled). */
  watchdogRunning: boolean;
  trigrams: () => boolean;
  llmUrl?: string;
  clock: () => Date;
}

/**
 * GET /api/v1/status in seed 002's shape. The seed's `clickhouse` is this engine's store, so it is
 * reported under its own name, `postgresql`; `llm` is `disabled` unless an OpenAI-compatible endpoint is
 * configured; the vectorizer is the incident memory's full-text (and trigram) index.
 */
export async function getAiopsStatus(deps: StatusDeps, req: OperationRequest & { tenantId: string }) {
  const db = deps.database.forTenant(req.tenantId);
  let store = 'ok';
  let monitored = 0;
  let lastHour = 0;
  let lastScored: Date | null = null;
  try {
    const [row] = await db.query<{ monitored: string; last_hour: string; last_scored: Date | null }>(
      `SELECT (SELECT count(*) FROM aiops_series_state) AS monitored,
              (SELECT count(*) FROM aiops_anomaly WHERE detected_at >= ?::timestamptz - interval '1 hour') AS last_hour,
              (SELECT max(scored_at) FROM aiops_ingest_batch) AS last_scored`,
      [deps.clock().toISOString()],
    );
    monitored = Number(row.monitored);
    lastHour = Number(row.last_hour);
    lastScored = row.last_scored;
  } catch {
    store = 'unreachable';
  }
  const lastRun = [watchdogCounters.lastRun, lastScored ? new Date(lastScored) : null]
    .filter((d): d is Date => d !== null)
    .sort((a, b) => b.getTime() - a.getTime())[0];
  return {
    status: store === 'ok' ? 'ok' : 'degraded',
    version: deps.version,
    components: {
      watchdog: deps.watchdogRunning ? 'running' : 'stopped',
      vectorizer: deps.trigrams() ? 'running' : 'running (full-text only)',
      rca: 'ready',
      llm: deps.llmUrl ? 'configured' : 'disabled',
      postgresql: store,
    },
    watchdog: { last_run: lastRun ? lastRun.toISOString() : null, metrics_monitored: monitored, anomalies_last_hour: lastHour },
  };
}
