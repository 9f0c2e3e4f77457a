/**
 * `npm run bench:tenant-scope`: what row-level security costs on a workspace list. The same page
 * query (50 rows of 10,000 in one workspace, 100,000 in all) runs through three handles, interleaved
 * over rounds in one run: the owner with a hand-written `tenant_id = ?` (the baseline: what the
 * code did before), the tenant handle with no condition (RLS holds it; one workspace, so the
 * connection keeps its tenant), and the tenant handle switching between two workspaces on every
 * call (the worst case: a set_config round trip each time).
 * Goal (issue "Plugin API 2"): the tenant handle keeps at least 95 % of the baseline's rate.
 *   BENCH_ROUNDS (5), BENCH_SECONDS (2), BENCH_CONCURRENCY (8)
 */
import examplePlugin from '../core/testing/example-plugin/plugin.ts';
import { median, reportFigures, startBenchKernel } from './bench-kit.ts';

const rounds = Math.min(Math.max(Number(process.env.BENCH_ROUNDS ?? 5), 1), 20);
const seconds = Math.min(Math.max(Number(process.env.BENCH_SECONDS ?? 2), 1), 30);
const concurrency = Math.min(Math.max(Number(process.env.BENCH_CONCURRENCY ?? 8), 1), 64);
const goal = 0.95;

const kernel = await startBenchKernel([examplePlugin], { ITOPS_DB_POOL_SIZE: String(concurrency) });
const db = kernel.database;
const page = 'SELECT id, label, score, created_at FROM example_score ORDER BY created_at DESC LIMIT 50';
try {
  await db.platform.query("INSERT INTO tenant (tenant_id, name) SELECT 'bench-' || i, 'Bench ' || i FROM generate_series(0, 9) AS i ON CONFLICT DO NOTHING");
  await db.platform.query(
    `INSERT INTO example_score (id, tenant_id, label, score, created_at)
     SELECT gen_random_uuid(), 'bench-' || (i % 10), 'score ' || i, i, now() - i * interval '1 second' FROM generate_series(1, 100000) AS i`,
  );
  await db.platform.query('ANALYZE example_score');

  const variants: Record<string, (i: number) => Promise<unknown>> = {
    'owner + WHERE tenant_id = ?': () => db.platform.query(page.replace('ORDER BY', 'WHERE tenant_id = ? ORDER BY'), ['bench-1']),
    'tenant handle (RLS)': () => db.forTenant('bench-1').query(page),
    'tenant handle, 2 workspaces alternating': (i) => db.forTenant(Math.floor(i / concurrency) % 2 ? 'bench-1' : 'bench-2').query(page),
  };
  const rates: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(variants)) {
      const until = Date.now() + seconds * 1000;
      let done = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async (_, worker) => {
          for (let i = worker; Date.now() < until; i += concurrency) {
            await run(i);
            done++;
          }
        }),
      );
      rates[name].push(done / seconds);
    }
  }
  const baseline = median(rates['owner + WHERE tenant_id = ?']);
  process.stdout.write(`\nlist page of 50 (median of ${rounds} rounds × ${seconds} s, ${concurrency} concurrent):\n`);
  for (const [name, list] of Object.entries(rates)) {
    process.stdout.write(`  ${name.padEnd(42)} ${median(list).toFixed(0).padStart(7)}/s  ratio ${(median(list) / baseline).toFixed(3)}\n`);
  }
  // The median of each round's own ratio: the two ran seconds apart in it, so a neighbour's load
  // that comes and goes between rounds cancels out (the medians of the rates do not pair them).
  const roundRatios = rates['tenant handle (RLS)'].map((rate, round) => rate / rates['owner + WHERE tenant_id = ?'][round]);
  const ratio = median(roundRatios);
  process.stdout.write(`  per-round ratios: ${roundRatios.map((r) => r.toFixed(2)).join(', ')}\n`);
  process.stdout.write(`\nRLS / hand-written condition: ${ratio.toFixed(3)} (median of the rounds' ratios; goal ≥ ${goal})\n`);
  reportFigures('tenant-scope', [
    { figure: 'RLS / hand-written condition', value: ratio, baseline: 'WHERE tenant_id = ?', ratio, goal: `>= ${goal}`, pass: ratio >= goal },
  ]);
  process.exitCode = ratio >= goal ? 0 : 1;
} finally {
  await kernel.stop();
}
