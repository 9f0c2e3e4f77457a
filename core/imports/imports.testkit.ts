import { definePlugin, readInPages, type PluginManifest } from '../plugin-api/index.ts';
import { call } from '../plugin-api/testing.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { eventually } from '../testing/eventually.ts';

/**
 * A plugin contributing one import kind (`notes`, keyed by `key`) over a table of its own, and a
 * dashboard counter: enough to test the core's imports, exports and summary without a real plugin.
 */
export const notesPlugin: PluginManifest = definePlugin({
  id: 'notes_kind',
  version: '1.0.0',
  host: '*',
  migrations: [
    {
      name: '0001-notes',
      up: `CREATE TABLE import_note (tenant_id text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE, key text NOT NULL,
             body text NOT NULL, priority integer NOT NULL CHECK (priority < 100), labels jsonb, PRIMARY KEY (tenant_id, key))`,
    },
  ],
  importKinds: [
    {
      name: 'notes',
      description: 'Test notes',
      rowSchema: {
        type: 'object',
        required: ['key', 'body'],
        additionalProperties: false,
        properties: {
          key: { type: 'string', minLength: 1, maxLength: 50 },
          body: { type: 'string', maxLength: 200 },
          priority: { type: 'integer', minimum: 0 },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
      async upsert(tx, rows) {
        await tx.query(
          `INSERT INTO import_note (tenant_id, key, body, priority, labels)
           SELECT ?, r.key, r.body, coalesce(r.priority, 1), r.labels FROM jsonb_to_recordset(?::jsonb) AS r(key text, body text, priority integer, labels jsonb)
           ON CONFLICT (tenant_id, key) DO UPDATE SET body = excluded.body, priority = excluded.priority, labels = excluded.labels`,
          [tx.tenantId, JSON.stringify(rows)],
        );
      },
      read: (tx) => readInPages(tx, 'SELECT key, body, priority, labels FROM import_note ORDER BY key', [], 2),
    },
  ],
  dashboardCounters: async (tx) => {
    const [row] = await tx.query<{ notes: string }>('SELECT count(*) AS notes FROM import_note');
    return { notes: Number(row.notes) };
  },
  init() {},
});

/** Waits for a job to end (completed or failed) and returns it as GET /api/v1/jobs/{id} shows it. */
export async function finishedJob(kernel: Kernel, headers: Record<string, string>, id: string): Promise<any> {
  const job = await eventually(async () => {
    const got = await call(kernel, 'GET', `/api/v1/jobs/${id}`, { headers });
    return got.json?.state === 'completed' || got.json?.state === 'failed' ? got.json : undefined;
  }, 60_000);
  if (!job) throw new Error(`job ${id} did not finish`);
  return job;
}

/** Downloads a job's artifact through its signed link, as a browser would (no token). */
export async function download(url: string): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(url);
  return { status: response.status, text: await response.text(), headers: response.headers };
}

let keys = 0;
/** A fresh Idempotency-Key. */
export const idem = () => ({ 'idempotency-key': `test-${process.pid}-${++keys}-${Date.now()}` });

/** Queues an import of `body` (sent as is, with its content type) and answers what the API answered. */
export function importFile(kernel: Kernel, headers: Record<string, string>, kind: string, body: string, contentType: string, query = '') {
  return call(kernel, 'POST', `/api/v1/imports?kind=${kind}${query}`, { headers: { ...headers, ...idem(), 'content-type': contentType }, raw: body });
}

/** Exports a kind as NDJSON and returns its rows, once the job is done. */
export async function exportRows(kernel: Kernel, headers: Record<string, string>, kind: string): Promise<any[]> {
  const queued = await call(kernel, 'POST', '/api/v1/exports', { headers: { ...headers, ...idem() }, body: { kind, format: 'ndjson' } });
  const job = await finishedJob(kernel, headers, queued.json.id);
  return (await download(job.artifactUrl)).text
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}
