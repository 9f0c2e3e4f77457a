import { randomUUID } from 'node:crypto';
import { definePlugin, tokens, workerModule } from '../../plugin-api/index.ts';

/**
 * Test-only plugin, written as a third-party author would (it imports only core/plugin-api): one
 * of every contribution, so the loader is proven before any real plugin exists.
 */
export default definePlugin({
  id: 'example',
  version: '1.0.0',
  host: '>=0.1.0 <1.0.0',
  openapi: new URL('./openapi.yaml', import.meta.url),
  graphql: `
    type ExampleScore { id: ID! label: String! score: Float! createdAt: DateTime! }
    extend type Query {
      exampleHello(name: String!): String!
      "Scores of the caller's workspace; needs example:read, like GET /api/v1/example/scores."
      exampleScores: [ExampleScore!]!
    }`,
  migrations: new URL('./migrations/', import.meta.url),
  jobs: [
    {
      name: 'record_score',
      payloadSchema: { type: 'object', required: ['label', 'score'], properties: { label: { type: 'string' }, score: { type: 'number' } } },
    },
  ],
  workerTasks: [{ name: 'sum_of_squares', module: workerModule(import.meta.url, './sum-of-squares.worker') }],
  permissions: [
    { name: 'example:read', description: 'Read recorded scores' },
    { name: 'example:write', description: 'Score numbers' },
  ],
  policies: [{ role: 'viewer', permission: 'example:read' }],
  events: [
    {
      topic: 'example.scored',
      payloadSchema: { type: 'object', required: ['label', 'score'], properties: { label: { type: 'string' }, score: { type: 'number' } } },
    },
  ],
  init(ctx) {
    const db = ctx.get(tokens.database);
    const jobs = ctx.get(tokens.jobs);
    const workers = ctx.get(tokens.workers);
    const events = ctx.get(tokens.events);
    const greet = (name: string, times = 1) => Array.from({ length: times }, () => `Hello, ${name}!`).join(' ');

    ctx.handle('exampleHello', (req) => ({ greeting: greet(req.params.name, req.query.times as number) }));
    ctx.handle('exampleSlow', async (req) => {
      const ms = req.query.ms as number;
      await new Promise((resolve) => setTimeout(resolve, ms));
      return { waitedMs: ms };
    });
    ctx.handle('exampleCreateScore', async (req) => {
      const { label = 'unnamed', values } = req.body as { label?: string; values: number[] };
      const score = await workers.run<number[], number>('example.sum_of_squares', values);
      const jobId = await jobs.send('example.record_score', { tenantId: req.tenantId, label, score });
      return { status: 202, body: { score, jobId } };
    });
    // No tenant condition: row-level security shows a workspace only its own rows.
    const listScores = (tenantId: string) =>
      db.forTenant(tenantId).query<{ id: string; label: string; score: number; createdAt: string }>(
        `SELECT id, label, score, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "createdAt"
           FROM example_score ORDER BY created_at DESC LIMIT 100`,
      );
    ctx.handle('exampleListScores', async (req) => ({ data: await listScores(req.tenantId as string) }));
    ctx.resolve('Query', 'exampleHello', (_parent, args: { name: string }) => greet(args.name));
    ctx.resolve('Query', 'exampleScores', async (_parent, _args, context) => {
      const tenantId = (await context.authorize('example:read')) as string;
      return listScores(tenantId);
    });
    ctx.job<{ tenantId: string; label: string; score: number }>('record_score', async (payload) => {
      // The row and its event commit together, or neither does.
      await db.forTenant(payload.tenantId).transaction(async (tx) => {
        await tx.query('INSERT INTO example_score (id, tenant_id, label, score) VALUES (?, ?, ?, ?)', [
          randomUUID(),
          payload.tenantId,
          payload.label,
          payload.score,
        ]);
        await events.publish(tx, { topic: 'example.scored', tenantId: payload.tenantId, payload: { label: payload.label, score: payload.score } });
      });
    });
  },
});
