import t from 'tap';
import { servicesProbe } from '../../../core/plugin-api/testing.ts';
import { startWorld } from '../../../core/testing/identity-fixtures.ts';
import { createContainersPlugin } from '../plugin.ts';
import { StatusStore } from './status-components.ts';

t.test('a batch of statuses is applied in one go, in event order, with its history', async (t) => {
  const probe = servicesProbe();
  const { kernel } = await startWorld(t, { plugins: [createContainersPlugin(), probe.plugin] });
  const warnings: unknown[] = [];
  const logger = { warn: (...args: unknown[]) => warnings.push(args), error: (...args: unknown[]) => warnings.push(args), info() {}, debug() {} };
  const { database, events } = probe.services();
  const store = new StatusStore({ database, events, logger: logger as never });
  const at = (minute: number) => new Date(Date.UTC(2026, 11, 4, 10, minute));
  const o = (monitorId: string, status: 'operational' | 'major_outage', minute: number) => ({
    tenantId: 'acme',
    monitorType: 'container' as const,
    monitorId,
    status,
    at: at(minute),
  });
  const stored = await store.applyMany('acme', [
    { eventId: 101n, o: o('web-1', 'operational', 1) },
    { eventId: 102n, o: o('web-2', 'operational', 1) },
    { eventId: 103n, o: o('web-1', 'major_outage', 2) },
    { eventId: 104n, o: o('web-1', 'operational', 3) },
  ]);
  t.same(warnings, [], 'no statement failed (a failed batch falls back to one at a time)');
  t.same([...stored.entries()].map(([key, status]) => [key.split('\u0000')[2], status]).sort(), [
    ['web-1', 'operational'],
    ['web-2', 'operational'],
  ]);
  const history = await kernel.database.platform.query<{ monitor_id: string; status: string }>(
    "SELECT monitor_id, status FROM status_monitor_change WHERE tenant_id = 'acme' ORDER BY id",
  );
  t.same(
    history.map((h) => [h.monitor_id, h.status]),
    [
      ['web-1', 'operational'],
      ['web-2', 'operational'],
      ['web-1', 'major_outage'],
      ['web-1', 'operational'],
    ],
    'every change kept, in event order',
  );
});
