/**
 * `npm run bench:import-export`: an import (CSV, all-or-nothing: one transaction) and an export of
 * BENCH_ROWS rows (1,000,000), through the full stack (HTTP upload streamed to disk, the pg-boss
 * job, CSV parsing, row validation, batched upserts, the cursor-paged export streamed to the
 * artifact file, the signed download), after the same of BENCH_BASE_ROWS rows (100,000) in the
 * same run: the baseline. Constant memory means the large run's peak RSS of this process (the
 * server; PostgreSQL is another process) is no higher than the baseline's, though it moves ten
 * times the rows. Peak RSS and heap are sampled every 20 ms while each job runs; run with
 * `node --expose-gc --import tsx bench/import-export.ts` to add the live heap (after a full
 * collection, every 2 s), which garbage piling up between collections does not inflate.
 * BENCH_KIND: `bench_rows` (default: a bench plugin's plain table, so the figures are the core's
 * pipeline rather than one plugin's SQL) or `services` (the SLA plugin's catalog: foreign keys,
 * five indexes, nodes and groups written per batch).
 *   BENCH_ROWS (1000000), BENCH_BASE_ROWS (100000), BENCH_KIND (bench_rows)
 * Exits 1 when a job fails or the large run's live heap (with --expose-gc, as `npm run bench` runs
 * it) or else its peak RSS exceeds the baseline's by more than 64 MB.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { definePlugin, readInPages } from '../core/plugin-api/index.ts';
import slaPlugin from '../plugins/sla/plugin.ts';
import { reportFigures, startBenchKernel } from './bench-kit.ts';

const rowsLarge = Math.min(Math.max(Number(process.env.BENCH_ROWS ?? 1_000_000), 1000), 5_000_000);
const rowsBase = Math.min(Math.max(Number(process.env.BENCH_BASE_ROWS ?? 100_000), 100), rowsLarge);
const allowedGrowthMb = 64;
const kind = process.env.BENCH_KIND === 'services' ? 'services' : 'bench_rows';

/** A plain table of the workspace (row-level security, a primary key, nothing else) as an import kind. */
const benchRowsPlugin = definePlugin({
  id: 'bench_rows',
  version: '1.0.0',
  host: '*',
  migrations: [
    {
      name: '0001-bench-rows',
      up: 'CREATE TABLE bench_row (tenant_id text NOT NULL, id bigint NOT NULL, name text NOT NULL, value integer, flag boolean, tags jsonb, PRIMARY KEY (tenant_id, id))',
    },
  ],
  importKinds: [
    {
      name: 'bench_rows',
      description: 'Bench rows',
      rowSchema: {
        type: 'object',
        required: ['id', 'name'],
        additionalProperties: false,
        properties: {
          id: { type: 'integer', minimum: 0 },
          name: { type: 'string', maxLength: 200 },
          value: { type: 'integer' },
          flag: { type: 'boolean' },
          tags: { type: 'array', items: { type: 'string', maxLength: 50 } },
        },
      },
      async upsert(tx, rows) {
        await tx.query(
          `INSERT INTO bench_row (tenant_id, id, name, value, flag, tags)
           SELECT ?, r.id, r.name, r.value, r.flag, r.tags FROM jsonb_to_recordset(?::jsonb) AS r(id bigint, name text, value integer, flag boolean, tags jsonb)
           ON CONFLICT (tenant_id, id) DO UPDATE SET name = excluded.name, value = excluded.value, flag = excluded.flag, tags = excluded.tags`,
          [tx.tenantId, JSON.stringify(rows)],
        );
      },
      read: (tx) => readInPages(tx, 'SELECT id, name, value, flag, tags FROM bench_row ORDER BY id'),
    },
  ],
  init() {},
});
const log = (line: string) => process.stdout.write(`${line}\n`);
const mb = (bytes: number) => bytes / 1024 / 1024;

const kernel = await startBenchKernel([slaPlugin, benchRowsPlugin], {
  ...(process.env.ITOPS_EMBEDDED_DB_PORT ? { ITOPS_EMBEDDED_DB_PORT: process.env.ITOPS_EMBEDDED_DB_PORT } : {}),
  ITOPS_ADMIN_EMAIL: 'bench@itops.test',
  ITOPS_ADMIN_PASSWORD: 'bench admin password',
});
const work = await mkdtemp(path.join(os.tmpdir(), 'itops-bench-import-'));
let keys = 0;
const api = async (method: string, urlPath: string, init: { body?: unknown; headers?: Record<string, string>; raw?: RequestInit['body'] } = {}) => {
  const response = await fetch(`${kernel.url}${urlPath}`, {
    method,
    headers: { 'idempotency-key': `bench-${++keys}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
    ...(init.raw ? { duplex: 'half' } : {}),
  } as RequestInit);
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${urlPath}: ${response.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
};

/** A CSV of `rows` rows of the kind, written as a stream (the bench itself holds no file either). */
async function csvFile(rows: number): Promise<string> {
  const file = path.join(work, `${kind}-${rows}.csv`);
  const out = createWriteStream(file);
  out.write(kind === 'services' ? 'nodeId,name,displayName,criticality,tags,slaGroup,backupExpected,backupMaxAgeDays\n' : 'id,name,value,flag,tags\n');
  for (let i = 0; i < rows; i++) {
    const line =
      kind === 'services'
        ? `node-${i % 200},svc-${rows}-${i},Service ${i},${i % 3 === 0 ? 'high' : 'low'},"[""t${i % 7}""]",group-${i % 10},${i % 2 === 0},${1 + (i % 5)}\n`
        : `${rows * 10 + i},row ${i} of ${rows},${i % 1000},${i % 2 === 0},"[""t${i % 7}""]"\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await finished(out);
  return file;
}

/** Follows a job to its end while sampling this process's memory; returns the job, the time and the peaks. */
async function followJob(headers: Record<string, string>, id: string, startedAt: number) {
  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakHeap = before.heapUsed;
  let peakLive = 0;
  const sampler = setInterval(() => {
    const now = process.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakHeap = Math.max(peakHeap, now.heapUsed);
  }, 20);
  // With --expose-gc: what is still reachable (a full collection first), every 250 ms: V8 lets garbage
  // pile up when the allocation rate is high, so heapUsed and RSS overstate what a run holds. The
  // baseline export takes about half a second: a longer period left it unsampled, and the run was
  // then judged on RSS alone.
  const collector = global.gc
    ? setInterval(() => {
        global.gc?.();
        peakLive = Math.max(peakLive, process.memoryUsage().heapUsed);
      }, 250)
    : undefined;
  try {
    while (true) {
      const job = await api('GET', `/api/v1/jobs/${id}`, { headers });
      if (process.env.BENCH_VERBOSE) log(`  ${job.type} ${job.state} ${JSON.stringify(job.rows)} ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
      if (job.state === 'completed' || job.state === 'failed')
        return { job, seconds: (performance.now() - startedAt) / 1000, peakRss, peakHeap, peakLive, rssBefore: before.rss };
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    clearInterval(sampler);
    clearInterval(collector);
  }
}

type Result = { name: string; rows: number; seconds: number; peakRss: number; peakHeap: number; peakLive: number; rssBefore: number; bytes: number };
const results: Result[] = [];
let failed = false;
try {
  const admin = await api('POST', '/api/v1/auth/login', { body: { email: 'bench@itops.test', password: 'bench admin password' } });
  await api('POST', '/api/v1/tenants', { body: { tenant_id: 'bench', name: 'Bench' }, headers: { authorization: `Bearer ${admin.token}` } });
  await api('POST', '/api/v1/users', {
    body: { email: 'data@bench.test', password: 'data admin password', memberships: [{ tenantId: 'bench', role: 'data_admin' }] },
    headers: { authorization: `Bearer ${admin.token}` },
  });
  const user = await api('POST', '/api/v1/auth/login', { body: { email: 'data@bench.test', password: 'data admin password' } });
  const headers = { authorization: `Bearer ${user.token}` };
  for (const rows of [rowsBase, rowsLarge]) {
    const file = await csvFile(rows);
    const bytes = (await stat(file)).size;
    global.gc?.();
    const importStart = performance.now();
    const queued = await api('POST', `/api/v1/imports?kind=${kind}`, {
      headers: { ...headers, 'content-type': 'text/csv' },
      raw: Readable.toWeb(createReadStream(file)) as unknown as RequestInit['body'],
    });
    const imported = await followJob(headers, queued.id, importStart);
    if (imported.job.state !== 'completed' || imported.job.rows.written !== rows) {
      failed = true;
      log(`import of ${rows} rows ended ${imported.job.state}: ${JSON.stringify(imported.job)}`);
    }
    results.push({ name: `import ${rows.toLocaleString('en')} ${kind} (CSV)`, rows, bytes, ...imported });
    await rm(file);

    global.gc?.();
    const exportStart = performance.now();
    const exporting = await api('POST', '/api/v1/exports', { headers, body: { kind, format: 'csv' } });
    const exported = await followJob(headers, exporting.id, exportStart);
    const download = await fetch(exported.job.artifactUrl);
    let downloaded = 0;
    for await (const chunk of download.body as unknown as AsyncIterable<Uint8Array>) downloaded += chunk.length;
    // The rows of the smaller run are still there: the large export holds both.
    if (exported.job.state !== 'completed' || exported.job.rows.written < rows) {
      failed = true;
      log(`export ended ${exported.job.state}: ${JSON.stringify(exported.job)}`);
    }
    results.push({
      name: `export ${exported.job.rows.written.toLocaleString('en')} ${kind} (CSV)`,
      rows: exported.job.rows.written,
      bytes: downloaded,
      ...exported,
    });
  }
} finally {
  await kernel.stop();
  await rm(work, { recursive: true, force: true });
}

log(
  `${'run'.padEnd(34)}${'rows/s'.padStart(10)}${'seconds'.padStart(10)}${'file MB'.padStart(10)}${'RSS before'.padStart(12)}${'peak RSS'.padStart(10)}${'peak heap'.padStart(11)}${'live heap'.padStart(11)}`,
);
for (const r of results) {
  log(
    `${r.name.padEnd(34)}${(r.rows / r.seconds).toFixed(0).padStart(10)}${r.seconds.toFixed(1).padStart(10)}${mb(r.bytes).toFixed(1).padStart(10)}${mb(r.rssBefore).toFixed(0).padStart(12)}${mb(r.peakRss).toFixed(0).padStart(10)}${mb(r.peakHeap).toFixed(0).padStart(11)}${(r.peakLive ? mb(r.peakLive).toFixed(0) : '-').padStart(11)}`,
  );
}
const [baseImport, baseExport, largeImport, largeExport] = results;
if (largeImport && largeExport) {
  for (const [name, base, large] of [
    ['import', baseImport, largeImport],
    ['export', baseExport, largeExport],
  ] as const) {
    const growth = mb(large.peakRss - base.peakRss);
    const live = base.peakLive && large.peakLive ? `; live heap ${mb(large.peakLive).toFixed(0)} MB vs ${mb(base.peakLive).toFixed(0)} MB` : '';
    log(
      `${name}: ${(large.rows / base.rows).toFixed(0)}x the rows, peak RSS ${mb(large.peakRss).toFixed(0)} MB vs ${mb(base.peakRss).toFixed(0)} MB (ratio ${(large.peakRss / base.peakRss).toFixed(2)}, ${growth >= 0 ? '+' : ''}${growth.toFixed(0)} MB); throughput ratio ${(large.rows / large.seconds / (base.rows / base.seconds)).toFixed(2)}${live}`,
    );
    // Constant memory is judged on what stays reachable when the collector can be asked (live
    // heap); RSS also holds garbage V8 has not yet collected, so it is the judge only without gc.
    const liveGrowth = base.peakLive && large.peakLive ? mb(large.peakLive - base.peakLive) : undefined;
    const judged = liveGrowth ?? growth;
    if (judged > allowedGrowthMb) failed = true;
    reportFigures('import-export', [
      ...(liveGrowth !== undefined && base.peakLive && large.peakLive
        ? [
            {
              figure: `${name} live heap MB, ${large.rows} vs ${base.rows} rows`,
              value: mb(large.peakLive),
              baseline: `${base.rows} rows`,
              ratio: large.peakLive / base.peakLive,
              goal: `<= +${allowedGrowthMb} MB`,
              pass: liveGrowth <= allowedGrowthMb,
            },
          ]
        : []),
      {
        figure: `${name} peak RSS MB, ${large.rows} vs ${base.rows} rows`,
        value: mb(large.peakRss),
        baseline: `${base.rows} rows`,
        ratio: large.peakRss / base.peakRss,
        ...(liveGrowth === undefined ? { goal: `<= +${allowedGrowthMb} MB`, pass: growth <= allowedGrowthMb } : {}),
      },
      {
        figure: `${name} rows/s (${large.rows} rows)`,
        value: large.rows / large.seconds,
        baseline: `${base.rows} rows`,
        ratio: large.rows / large.seconds / (base.rows / base.seconds),
      },
    ]);
  }
}
process.exit(failed ? 1 : 0);
