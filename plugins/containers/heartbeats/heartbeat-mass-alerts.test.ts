import t from 'tap';
import type { DatabaseService, PlatformDatabase, Tx } from '../../../core/plugin-api/index.ts';
import { HeartbeatDeadlines } from './heartbeat-deadlines.ts';
import { heartbeatWorld } from './heartbeat.testkit.ts';
import { type IncomingPing, PingStore } from './ping-ingest.ts';

/*
 * A mass outage: many heartbeats of two workspaces go down in one sweep and come back in one ping
 * batch. Their alerts are raised and resolved in the batch's transaction with a number of
 * statements that does not grow with the number of heartbeats.
 */

/** `database`, counting the statements of each platform transaction. */
function countingTransactions(database: DatabaseService) {
  const platform = database.platform;
  const perTransaction: number[] = [];
  const counted: PlatformDatabase = {
    query: platform.query,
    relaxedQuery: platform.relaxedQuery,
    logicalReplication: platform.logicalReplication,
    statement: platform.statement,
    transaction: (fn) =>
      platform.transaction((tx) => {
        const index = perTransaction.push(0) - 1;
        const query: Tx['query'] = (sql, params) => {
          perTransaction[index] += 1;
          return tx.query(sql, params);
        };
        return fn({ tenantId: tx.tenantId, query, statement: (sql) => (params) => query(sql, params), afterCommit: (step) => tx.afterCommit(step) });
      }),
  };
  return { perTransaction, database: { forTenant: (tenantId: string) => database.forTenant(tenantId), platform: counted } as DatabaseService };
}

const success = (uuid: string, at: Date): IncomingPing => ({
  uuid,
  kind: 'success',
  exitCode: 0,
  rid: null,
  at,
  method: 'GET',
  remoteAddr: null,
  userAgent: null,
  body: null,
  bodyBytes: 0,
});

t.test('a sweep raises the alerts of many heartbeats, and a ping batch resolves them, in as many statements as for two', async (t) => {
  const { create, ping, clock, services, kernel, acmeOps, globexAdmin } = await heartbeatWorld(t, { env: { ITOPS_JOBS_ENABLED: 'false' } });
  const { database, events, alerts } = services();
  const counted = countingTransactions(database);
  const deadlines = new HeartbeatDeadlines({ database: counted.database, events, alerts, clock: clock.now, parallel: 1 });
  const store = new PingStore({ database: counted.database, events, alerts });

  const fleet = async (size: number, name: string) => {
    const created = [];
    for (let i = 0; i < size; i++) created.push(await create({ name: `${name} ${i}` }, i % 2 ? acmeOps.headers : globexAdmin.headers));
    for (const hb of created) await ping(`/ping/${hb.uuid}`);
    return created;
  };
  /** Statements of the sweep's transaction, and the alerts it left firing. */
  const outage = async (heartbeats: { id: string }[], down = heartbeats.length) => {
    clock.advance(3901);
    const before = counted.perTransaction.length;
    t.match(await deadlines.evaluate(), { down });
    const firing = await kernel.database.query<{ entity_id: string; tenant_id: string }>(
      "SELECT entity_id, tenant_id FROM alert WHERE status = 'firing' AND entity_id = ANY(?::text[])",
      [heartbeats.map((hb) => hb.id)],
    );
    return { statements: counted.perTransaction.slice(before), firing };
  };
  const recovery = async (heartbeats: { id: string; uuid: string }[]) => {
    const before = counted.perTransaction.length;
    const acks = await store.commit(heartbeats.map((hb) => success(hb.uuid, clock.now())));
    t.notOk(
      acks.some((ack) => ack instanceof Error),
      'every ping stored',
    );
    const firing = await kernel.database.query("SELECT 1 FROM alert WHERE status = 'firing' AND entity_id = ANY(?::text[])", [heartbeats.map((hb) => hb.id)]);
    return { statements: counted.perTransaction.slice(before), firing: firing.length };
  };

  const two = await fleet(2, 'pair');
  const small = await outage(two);
  t.equal(small.firing.length, 2);
  const smallRecovery = await recovery(two);
  t.equal(smallRecovery.firing, 0, 'the pair recovered');

  const many = await fleet(20, 'fleet');
  // The pair, pinged as it recovered, misses its deadline again with the fleet.
  const large = await outage(many, 22);
  t.equal(large.firing.length, 20, 'one firing alert per heartbeat');
  t.same(new Set(large.firing.map((a) => a.tenant_id)), new Set(['acme', 'globex']), 'in both workspaces');
  t.same(large.statements, small.statements, `a sweep of 22 runs the statements of a sweep of 2 (${small.statements.join(', ')})`);
  const [{ triggered }] = await kernel.database.query<{ triggered: string }>(
    "SELECT count(*) AS triggered FROM event_outbox WHERE topic = 'alert.triggered' AND payload->>'entityId' = ANY(?::text[])",
    [many.map((hb) => hb.id)],
  );
  t.equal(Number(triggered), 20, 'one alert.triggered each');

  const largeRecovery = await recovery(many);
  t.equal(largeRecovery.firing, 0, 'every alert resolved by the ping batch');
  t.same(
    largeRecovery.statements,
    smallRecovery.statements,
    `a ping batch recovering 20 runs the statements of one recovering 2 (${smallRecovery.statements.join(', ')})`,
  );
});
