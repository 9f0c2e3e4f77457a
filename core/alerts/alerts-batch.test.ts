import t from 'tap';
import type { Kernel } from '../kernel/kernel.ts';
import type { RaiseAlert, Tx } from '../plugin-api/index.ts';
import { call, servicesProbe } from '../plugin-api/testing.ts';
import { startReceiver } from '../testing/http-receiver.ts';
import { startWorld } from '../testing/identity-fixtures.ts';

/*
 * raiseMany / resolveMany against raise / resolve: a batch must leave exactly what the same calls
 * one by one leave (alerts, outbox events, notification rows), across workspaces in one platform
 * transaction, with silences in one workspace and routing rules in the other.
 */

async function world(t: { teardown(fn: () => unknown): void }) {
  const probe = servicesProbe('alerts_batch_probe');
  const w = await startWorld(t, { plugins: [probe.plugin], env: { ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS: 'true', ITOPS_WEBHOOK_RETRY_BASE_SECONDS: '1' } });
  const rx = await startReceiver(t, () => ({ status: 200, body: 'ok' }));
  return { ...w, rx, service: probe.services().alerts, platform: <T>(fn: (tx: Tx) => Promise<T>) => w.kernel.database.platform.transaction(fn) };
}

async function post(kernel: Kernel, headers: Record<string, string>, path: string, body: unknown) {
  const response = await call(kernel, 'POST', path, { headers, body });
  if (response.status !== 201) throw new Error(`${path}: ${response.status} ${response.text}`);
  return response.json;
}

/** The raises of one run; `run` keeps the two runs' alerts apart (it is in every entity id). */
function raises(run: string): RaiseAlert[] {
  const at = (tenantId: string, source: string, entity: string, severity: RaiseAlert['severity'], labels: Record<string, string> = {}) => ({
    tenantId,
    source,
    entityType: 'job',
    entityId: `${run}-${entity}`,
    severity,
    title: `${entity} failed`,
    message: `${entity} in ${tenantId}`,
    labels,
  });
  return [
    at('acme', 'backup', 'nightly', 'critical', { env: 'prod' }), // silenced
    at('globex', 'sla', 'api', 'warning'), // the sla channel only
    at('acme', 'backup', 'weekly', 'warning', { env: 'dev' }), // not silenced: labels differ
    at('globex', 'containers', 'web', 'critical', { team: 'db' }), // the critical and db channels
    at('globex', 'containers', 'quiet', 'info'), // no rule matches
    at('acme', 'sla', 'api', 'info'), // the catch-all channel
  ];
}

/** What a run left, with the run's name taken out of it so that two runs compare equal. */
async function leftBy(kernel: Kernel, run: string) {
  const strip = (s: string) => s.replace(`${run}-`, '');
  const alerts = await kernel.database.query<Record<string, unknown>>(
    `SELECT tenant_id, entity_id, status, count, severity, title, labels, silenced_by, notified_at IS NOT NULL AS notified
     FROM alert WHERE entity_id LIKE ? ORDER BY tenant_id, entity_id, first_seen_at`,
    [`${run}-%`],
  );
  const events = await kernel.database.query<{ topic: string; tenant_id: string; entity: string; severity: string }>(
    `SELECT topic, tenant_id, payload->>'entityId' AS entity, payload->>'severity' AS severity
     FROM event_outbox WHERE topic LIKE 'alert.%' AND payload->>'entityId' LIKE ? ORDER BY id`,
    [`${run}-%`],
  );
  const notifications = await kernel.database.query<{ tenant_id: string; entity: string; channel_name: string; kind: string }>(
    `SELECT n.tenant_id, a.entity_id AS entity, n.channel_name, n.kind FROM alert_notification n JOIN alert a ON a.id = n.alert_id
     WHERE a.entity_id LIKE ? ORDER BY n.tenant_id, a.entity_id, n.kind, n.channel_name`,
    [`${run}-%`],
  );
  return {
    alerts: alerts.map((a) => ({ ...a, entity_id: strip(a.entity_id as string) })),
    events: events.map((e) => ({ ...e, entity: strip(e.entity) })),
    notifications: notifications.map((n) => ({ ...n, entity: strip(n.entity) })),
  };
}

t.test('a batch across workspaces leaves the same alerts, events and notifications as the same raises and resolves one by one', async (t) => {
  const { kernel, acmeAdmin, acmeOps, globexAdmin, rx, service, platform } = await world(t);
  const silence = await post(kernel, acmeOps.headers, '/api/v1/silence', {
    matchers: { source: 'backup', labels: { env: 'prod' } },
    endsAt: new Date(Date.now() + 3600_000).toISOString(),
    comment: 'maintenance',
  });
  await post(kernel, acmeAdmin.headers, '/api/v1/channels', { name: 'acme all', type: 'webhook', url: rx.url('/acme') });
  const sla = await post(kernel, globexAdmin.headers, '/api/v1/channels', { name: 'sla', type: 'webhook', url: rx.url('/sla') });
  const critical = await post(kernel, globexAdmin.headers, '/api/v1/channels', { name: 'critical', type: 'webhook', url: rx.url('/critical') });
  const db = await post(kernel, globexAdmin.headers, '/api/v1/channels', { name: 'db', type: 'webhook', url: rx.url('/db') });
  await post(kernel, globexAdmin.headers, `/api/v1/channels/${sla.id}/rules`, { source: 'sla' });
  await post(kernel, globexAdmin.headers, `/api/v1/channels/${critical.id}/rules`, { minSeverity: 'critical' });
  await post(kernel, globexAdmin.headers, `/api/v1/channels/${db.id}/rules`, { labels: { team: 'db' } });

  for (const run of ['single', 'batch']) {
    // One alert of each run fires already: the batch raises it again (count 2, no second event).
    await platform((tx) => service.raise(tx, raises(run)[1]));
  }

  const single = await platform(async (tx) => {
    const raised = [];
    for (const alert of raises('single')) raised.push(await service.raise(tx, alert));
    return raised;
  });
  const batch = await platform((tx) => service.raiseMany(tx, raises('batch')));
  t.equal(batch.length, 6);
  t.same(
    batch.map((a) => a.entityId),
    raises('batch').map((a) => a.entityId),
    'results in input order',
  );
  t.same(
    batch.map(({ id: _, fingerprint: __, entityId: ___, firstSeenAt: ____, lastSeenAt: _____, notifiedAt, ...rest }) => ({ ...rest, notified: !!notifiedAt })),
    single.map(({ id: _, fingerprint: __, entityId: ___, firstSeenAt: ____, lastSeenAt: _____, notifiedAt, ...rest }) => ({ ...rest, notified: !!notifiedAt })),
    'the same results',
  );
  t.equal(batch[0].silencedBy, silence.id, 'the silence holds back the prod backup');
  t.equal(batch[1].count, 2, 'the firing alert counted again');

  const raisedSingle = await leftBy(kernel, 'single');
  const raisedBatch = await leftBy(kernel, 'batch');
  t.same(raisedBatch, raisedSingle, 'the same rows');
  t.same(
    raisedBatch.notifications.map((n) => [n.tenant_id, n.entity, n.channel_name, n.kind]),
    [
      ['acme', 'api', 'acme all', 'firing'],
      ['acme', 'weekly', 'acme all', 'firing'],
      ['globex', 'api', 'sla', 'firing'],
      ['globex', 'web', 'critical', 'firing'],
      ['globex', 'web', 'db', 'firing'],
    ],
    'routing and silences as one by one',
  );
  t.same(
    raisedBatch.events.map((e) => e.entity),
    ['api', 'nightly', 'weekly', 'web', 'quiet', 'api'],
    'one triggered event per opened alert, in input order (the first api opened before the batch)',
  );

  const resolving = (run: string) => [
    ...raises(run).map(({ tenantId, source, entityType, entityId, title }) => ({ tenantId, source, entityType, entityId, title })),
    { tenantId: 'globex', fingerprint: 'never-raised' },
  ];
  const resolvedSingle = await platform(async (tx) => {
    const resolved = [];
    for (const alert of resolving('single')) resolved.push(await service.resolve(tx, alert));
    return resolved;
  });
  const resolvedBatch = await platform((tx) => service.resolveMany(tx, resolving('batch')));
  t.same(
    resolvedBatch.map((a) => a?.entityId ?? null),
    [...raises('batch').map((a) => a.entityId), null],
    'in input order; null for one that was not firing',
  );
  t.same(
    resolvedBatch.map((a) => a && { status: a.status, count: a.count, resolved: !!a.resolvedAt }),
    resolvedSingle.map((a) => a && { status: a.status, count: a.count, resolved: !!a.resolvedAt }),
  );
  const afterSingle = await leftBy(kernel, 'single');
  const afterBatch = await leftBy(kernel, 'batch');
  t.same(afterBatch, afterSingle, 'the same rows after resolving');
  t.same(
    afterBatch.notifications.filter((n) => n.kind === 'resolved').map((n) => [n.entity, n.channel_name]),
    [
      ['api', 'acme all'],
      ['weekly', 'acme all'],
      ['api', 'sla'],
      ['web', 'critical'],
      ['web', 'db'],
    ],
    'the channels told an alert fired hear it resolved; the silenced one told nobody',
  );
  t.equal(afterBatch.events.filter((e) => e.topic === 'alert.resolved').length, 6);
});

t.test('a fingerprint twice in one batch counts twice, takes the last fields, opens and notifies once', async (t) => {
  const { kernel, globexAdmin, rx, service, platform } = await world(t);
  await post(kernel, globexAdmin.headers, '/api/v1/channels', { name: 'all', type: 'webhook', url: rx.url('/all') });
  const disk = { tenantId: 'globex', source: 'hosts', entityType: 'host', entityId: 'db-1', title: 'Disk almost full', fingerprint: 'disk-db-1' };
  const [first, second] = await platform((tx) =>
    service.raiseMany(tx, [
      { ...disk, severity: 'warning', message: '91%' },
      { ...disk, severity: 'critical', message: '97%', labels: { env: 'prod' } },
    ]),
  );
  t.same(first, second, 'both entries are the alert as the batch left it');
  t.match(first, { count: 2, severity: 'critical', message: '97%', labels: { env: 'prod' }, status: 'firing', notifiedAt: String });
  const [{ events }] = await kernel.database.query<{ events: string }>(
    "SELECT count(*) AS events FROM event_outbox WHERE topic = 'alert.triggered' AND payload->>'fingerprint' = 'disk-db-1'",
  );
  t.equal(Number(events), 1, 'opened once');
  const notifications = await kernel.database.query('SELECT kind FROM alert_notification WHERE alert_id = ?', [first.id]);
  t.same(notifications, [{ kind: 'firing' }], 'notified once');

  const again = await platform((tx) =>
    service.raiseMany(tx, [
      { ...disk, severity: 'info' },
      { ...disk, severity: 'info' },
      { ...disk, severity: 'info' },
    ]),
  );
  t.match(again[2], { id: first.id, count: 5 }, 'a firing alert counts each raise of the batch');
  const resolved = await platform((tx) =>
    service.resolveMany(tx, [
      { tenantId: 'globex', fingerprint: 'disk-db-1' },
      { tenantId: 'globex', fingerprint: 'disk-db-1' },
    ]),
  );
  t.match(resolved, [{ id: first.id, status: 'resolved' }, null], 'the second entry found none firing, as resolving twice would');
});

t.test('a batch that rolls back leaves nothing; a workspace transaction refuses another workspace alert in a batch', async (t) => {
  const { kernel, acmeAdmin, rx, service, platform } = await world(t);
  await post(kernel, acmeAdmin.headers, '/api/v1/channels', { name: 'all', type: 'webhook', url: rx.url('/all') });
  const alert = (tenantId: string, entityId: string): RaiseAlert => ({
    tenantId,
    source: 'batch',
    entityType: 'host',
    entityId,
    severity: 'critical',
    title: 'Down',
  });
  const counts = async () =>
    (
      await kernel.database.query<{ alerts: string; events: string; notifications: string }>(
        `SELECT (SELECT count(*) FROM alert) AS alerts, (SELECT count(*) FROM event_outbox WHERE topic LIKE 'alert.%') AS events,
                (SELECT count(*) FROM alert_notification) AS notifications`,
      )
    )[0];
  const before = await counts();

  await t.rejects(
    platform(async (tx) => {
      const raised = await service.raiseMany(tx, [alert('acme', 'a'), alert('globex', 'b'), alert('acme', 'c')]);
      t.equal(raised.length, 3);
      throw new Error('the change that raised them failed');
    }),
    /the change that raised them failed/,
  );
  t.same(await counts(), before, 'no alert, event or notification');

  await t.rejects(
    kernel.database.forTenant('acme').transaction((tx) => service.raiseMany(tx, [alert('acme', 'a'), alert('globex', 'b')])),
    { code: 'internal', message: /an alert of globex was raised in a transaction of acme/ },
  );
  await t.rejects(
    kernel.database.forTenant('acme').transaction((tx) =>
      service.resolveMany(tx, [
        { tenantId: 'acme', fingerprint: 'x' },
        { tenantId: 'globex', fingerprint: 'y' },
      ]),
    ),
    { code: 'internal' },
  );
  await t.rejects(
    platform((tx) => service.raiseMany(tx, [alert('acme', 'a'), { ...alert('acme', 'b'), severity: 'fatal' as never }])),
    {
      code: 'validation_failed',
      details: [{ path: '/severity' }],
    },
  );
  t.same(await counts(), before, 'refused batches write nothing');

  const own = await kernel.database.forTenant('acme').transaction((tx) => service.raiseMany(tx, [alert('acme', 'a'), alert('acme', 'b')]));
  t.match(
    own,
    [
      { entityId: 'a', notifiedAt: String },
      { entityId: 'b', notifiedAt: String },
    ],
    'its own alerts, notified under row-level security',
  );
  t.same(await platform((tx) => service.raiseMany(tx, [])), []);
  t.same(await platform((tx) => service.resolveMany(tx, [])), []);
});

t.test('a batch runs as many statements for forty alerts as for two', async (t) => {
  const { kernel, acmeAdmin, globexAdmin, rx, service, platform } = await world(t);
  await post(kernel, acmeAdmin.headers, '/api/v1/channels', { name: 'acme', type: 'webhook', url: rx.url('/acme') });
  await post(kernel, globexAdmin.headers, '/api/v1/channels', { name: 'globex', type: 'webhook', url: rx.url('/globex') });
  const alerts = (size: number, run: string): RaiseAlert[] =>
    Array.from({ length: size }, (_, i) => ({
      tenantId: i % 2 ? 'acme' : 'globex',
      source: 'batch',
      entityType: 'host',
      entityId: `${run}-${i}`,
      severity: 'critical',
      title: 'Down',
    }));
  /** The statements `fn` runs through its transaction. */
  const statements = (fn: (tx: Tx) => Promise<unknown>) =>
    platform(async (tx) => {
      let count = 0;
      const query: Tx['query'] = (text, params) => {
        count += 1;
        return tx.query(text, params);
      };
      await fn({ tenantId: tx.tenantId, query, statement: (sql) => (params) => query(sql, params), afterCommit: (step) => tx.afterCommit(step) });
      return count;
    });
  const small = await statements((tx) => service.raiseMany(tx, alerts(2, 'small')));
  const large = await statements((tx) => service.raiseMany(tx, alerts(40, 'large')));
  t.equal(large, small, `raising: ${small} statements each`);
  const resolving = (size: number, run: string) =>
    alerts(size, run).map(({ tenantId, source, entityType, entityId, title }) => ({ tenantId, source, entityType, entityId, title }));
  const resolvedSmall = await statements((tx) => service.resolveMany(tx, resolving(2, 'small')));
  const resolvedLarge = await statements((tx) => service.resolveMany(tx, resolving(40, 'large')));
  t.equal(resolvedLarge, resolvedSmall, `resolving: ${resolvedSmall} statements each`);
  const [{ notifications }] = await kernel.database.query<{ notifications: string }>(
    "SELECT count(*) AS notifications FROM alert_notification WHERE kind = 'resolved'",
  );
  t.equal(Number(notifications), 42, 'every channel told an alert fired heard it resolved');
});
