import t from 'tap';
import type { ComponentStatus } from './status-components.ts';
import { dailyUptime } from './status-uptime.ts';

const now = new Date('2025-06-10T12:00:00Z');
const change = (at: string, status: ComponentStatus) => ({ at: new Date(at), status });

t.test('no history is no data, not downtime', async (t) => {
  const summary = dailyUptime([], now, 90);
  t.equal(summary.days.length, 90);
  t.equal(summary.days[0].date, '2025-03-13', 'oldest first, 89 days before today');
  t.equal(summary.days[89].date, '2025-06-10');
  t.ok(summary.days.every((d) => d.status === 'no_data' && d.uptimePercent === null && d.monitoredSeconds === 0));
  t.equal(summary.uptimePercent, null);
});

t.test('a status before the window holds from its start; today counts up to now', async (t) => {
  const summary = dailyUptime([change('2025-01-01T00:00:00Z', 'operational')], now, 3);
  t.same(
    summary.days.map((d) => [d.date, d.status, d.uptimePercent, d.monitoredSeconds]),
    [
      ['2025-06-08', 'operational', 100, 86_400],
      ['2025-06-09', 'operational', 100, 86_400],
      ['2025-06-10', 'operational', 100, 43_200],
    ],
  );
  t.equal(summary.uptimePercent, 100);
});

t.test('outage, degraded, maintenance and unknown time, by the second', async (t) => {
  const summary = dailyUptime(
    [
      change('2025-06-08T06:00:00Z', 'operational'),
      change('2025-06-08T18:00:00Z', 'major_outage'),
      change('2025-06-09T03:00:00Z', 'degraded'),
      change('2025-06-09T09:00:00Z', 'maintenance'),
      change('2025-06-09T21:00:00Z', 'unknown'),
      change('2025-06-10T00:00:00Z', 'operational'),
    ],
    now,
    3,
  );
  const [first, second, today] = summary.days;
  t.match(
    first,
    { status: 'major_outage', monitoredSeconds: 18 * 3600, outageSeconds: 6 * 3600, uptimePercent: 66.66 },
    'no data before 06:00; 6 h down of 18',
  );
  t.match(second, {
    status: 'major_outage',
    outageSeconds: 3 * 3600,
    degradedSeconds: 6 * 3600,
    maintenanceSeconds: 12 * 3600,
    monitoredSeconds: 21 * 3600,
    uptimePercent: 66.66,
  });
  t.match(today, { status: 'operational', uptimePercent: 100 });
  t.equal(summary.uptimePercent, Math.floor((100 - (100 * 9) / (18 + 9 + 12)) * 100) / 100, 'the window by the same rule');
});

t.test('a tiny outage never rounds up to 100 %; maintenance all day has no figure', async (t) => {
  const [day] = dailyUptime(
    [change('2025-06-10T00:00:00Z', 'operational'), change('2025-06-10T01:00:00Z', 'major_outage'), change('2025-06-10T01:00:01Z', 'operational')],
    new Date('2025-06-11T00:00:00Z'),
    2,
  ).days;
  t.match(day, { status: 'major_outage', outageSeconds: 1, uptimePercent: 99.99 });
  const [maintenance] = dailyUptime([change('2025-06-01T00:00:00Z', 'maintenance')], now, 1).days;
  t.match(maintenance, { status: 'maintenance', uptimePercent: null, maintenanceSeconds: 43_200 });
});

t.test('paused time is no data: neither uptime, downtime nor maintenance', async (t) => {
  const now = new Date('2025-06-10T12:00:00Z');
  const summary = dailyUptime(
    [
      { at: new Date('2025-06-10T00:00:00Z'), status: 'operational' },
      { at: new Date('2025-06-10T06:00:00Z'), status: 'paused' },
    ],
    now,
    1,
  );
  t.match(summary.days[0], { status: 'operational', uptimePercent: 100, maintenanceSeconds: 0, monitoredSeconds: 6 * 3600 });
});
