/**
 * `npm run bench:aiops-ingest`: telemetry points per second through `POST /api/v1/events/ingest`
 * (batches of 1,000 points, each with its own Idempotency-Key, stored durably before the answer)
 * against `COPY … FROM STDIN` of the same rows into the same partitioned table, in the same run.
 * The load comes from the generator's own process (bench/load-requests.ts).
 *   BENCH_SECONDS (8), BENCH_CONCURRENCY (6), BENCH_COPY_ROWS (100000)
 * Goals: >= 100,000 points/s and >= 20 % of COPY. Exits 1 when a request failed or a goal is missed.
 */
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { aiopsBenchWorld } from './aiops-world.ts';
import { ownCpuMicros, postgresCpuMicros, reportFigures, runGenerator } from './bench-kit.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 6);
const copyRows = Number(process.env.BENCH_COPY_ROWS ?? 100_000);
const batchSize = 1000;

function batchBody(seq: number): string {
  const now = Date.now();
  const points = Array.from({ length: batchSize }, (_, i) => ({
    service_id: `svc-${(seq * 7 + i) % 50}`,
    metric_name: `metric_${i % 20}`,
    value: (i * 37) % 100,
    timestamp: new Date(now - (i % 600) * 1000).toISOString(),
  }));
  return JSON.stringify({ agent_id: `agent-${seq % 10}`, points });
}

async function main() {
  // The watchdog and the usage roll-up run as periodic work: off here, so only ingest is measured.
  const { kernel, url, headers } = await aiopsBenchWorld({ ITOPS_JOBS_ENABLED: 'false' });
  try {
    const bodies = Array.from({ length: 32 }, (_, i) => batchBody(i));
    // The load comes from the generator's own process, not the server's event loop; `{{uuid}}`
    // gives every batch its own Idempotency-Key.
    const cpuBefore = { server: ownCpuMicros(), database: postgresCpuMicros() };
    const figures = await runGenerator({
      base: url,
      requests: bodies.map((body) => ({
        method: 'POST',
        path: '/api/v1/events/ingest',
        headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': '{{uuid}}' },
        body,
      })),
      seconds,
      concurrency,
    });
    // Per point over every batch stored, the generator's unmeasured warm-up second included.
    const cpu = { server: ownCpuMicros() - cpuBefore.server, database: postgresCpuMicros() - cpuBefore.database };
    const client = new pg.Client({ connectionString: kernel.database.url });
    await client.connect();
    const {
      rows: [{ batches }],
    } = await client.query<{ batches: number }>('SELECT count(*)::int AS batches FROM aiops_ingest_batch');
    const failed = figures.errors;
    const counted = figures.requests - figures.errors;
    const points = counted * batchSize;
    const ingestRate = points / figures.seconds;

    const now = Date.now();
    const lines = function* () {
      const batchId = randomUUID();
      for (let i = 0; i < copyRows; i++) {
        yield `bench\t${batchId}\tsvc-${i % 50}\tmetric_${i % 20}\t${new Date(now - (i % 600) * 1000).toISOString()}\t${(i * 37) % 100}\tmetric\t\\N\n`;
      }
    };
    const started = process.hrtime.bigint();
    await pipeline(
      Readable.from(lines()),
      client.query(copyFrom('COPY aiops_point (tenant_id, batch_id, service_id, metric_name, ts, value, kind, labels) FROM STDIN')),
    );
    const copySeconds = Number(process.hrtime.bigint() - started) / 1e9;
    await client.end();
    const copyRate = copyRows / copySeconds;

    const ratio = ingestRate / copyRate;
    console.log(`aiops ingest: ${counted} batches of ${batchSize} in ${seconds}s, concurrency ${concurrency}, ${failed} failed`);
    console.log(`  POST /api/v1/events/ingest  ${Math.round(ingestRate).toLocaleString('en')} points/s`);
    console.log(`  COPY (same rows, same table) ${Math.round(copyRate).toLocaleString('en')} rows/s`);
    console.log(
      `  CPU per point: server ${(cpu.server / (batches * batchSize)).toFixed(2)} µs, PostgreSQL ${(cpu.database / (batches * batchSize)).toFixed(2)} µs (${batches} batches)`,
    );
    console.log(`  ratio ingest/COPY            ${(ratio * 100).toFixed(1)} %  (goal >= 20 %, and >= 100,000 points/s)`);
    reportFigures('aiops-ingest', [
      {
        figure: 'telemetry points/s through POST /api/v1/events/ingest',
        value: ingestRate,
        baseline: 'COPY of the same rows',
        ratio,
        goal: '>= 100000 points/s and >= 0.2 of COPY',
        pass: failed === 0 && ingestRate >= 100_000 && ratio >= 0.2,
      },
    ]);
    if (failed > 0 || ingestRate < 100_000 || ratio < 0.2) process.exitCode = 1;
  } finally {
    await kernel.stop();
  }
}

await main();
