import t from 'tap';
import { dailyUptime } from './heartbeat-uptime.ts';

const at = (s: string) => new Date(s);

t.test('uptime is by time: seconds down over seconds monitored, per calendar day', async (t) => {
  const days = dailyUptime({
    flips: [
      { at: at('2025-06-02T06:00:00Z'), to: 'down' },
      { at: at('2025-06-02T12:00:00Z'), to: 'up' },
      { at: at('2025-06-03T23:00:00Z'), to: 'down' },
    ],
    statusBefore: 'up',
    createdAt: at('2025-05-01T00:00:00Z'),
    now: at('2025-06-04T06:00:00Z'),
    days: 4,
    timeZone: 'UTC',
  });
  t.same(
    days.map((d) => d.date),
    ['2025-06-01', '2025-06-02', '2025-06-03', '2025-06-04'],
  );
  t.match(days[0], { uptimePercent: 100, downtimeSeconds: 0, monitoredSeconds: 86_400, outages: 0 });
  t.match(days[1], { uptimePercent: 75, downtimeSeconds: 6 * 3600, outages: 1 });
  t.match(days[2], { downtimeSeconds: 3600, outages: 1 });
  t.equal(days[2].uptimePercent, Math.round((23 / 24) * 100 * 10_000) / 10_000);
  t.match(days[3], { uptimePercent: 0, downtimeSeconds: 6 * 3600, monitoredSeconds: 6 * 3600, outages: 0 }, 'still down, today counts up to now');
});

t.test('days before the heartbeat existed have no figures; its first day counts from its creation', async (t) => {
  const days = dailyUptime({
    flips: [],
    statusBefore: 'new',
    createdAt: at('2025-06-02T18:00:00Z'),
    now: at('2025-06-03T12:00:00Z'),
    days: 3,
    timeZone: 'UTC',
  });
  t.match(days[0], { date: '2025-06-01', uptimePercent: null, downtimeSeconds: null, monitoredSeconds: 0, outages: null });
  t.match(days[1], { date: '2025-06-02', uptimePercent: 100, monitoredSeconds: 6 * 3600 });
  t.match(days[2], { date: '2025-06-03', uptimePercent: 100, monitoredSeconds: 12 * 3600 });
});

t.test('a DST day has 23 hours in its zone; late and paused time is not down', async (t) => {
  const days = dailyUptime({
    flips: [
      { at: at('2025-03-30T10:00:00Z'), to: 'late' },
      { at: at('2025-03-30T11:00:00Z'), to: 'down' },
      { at: at('2025-03-30T12:00:00Z'), to: 'paused' },
    ],
    statusBefore: 'up',
    createdAt: at('2025-01-01T00:00:00Z'),
    now: at('2025-03-31T00:00:00Z'),
    days: 2,
    timeZone: 'Europe/Berlin',
  });
  t.match(days[0], { date: '2025-03-30', monitoredSeconds: 23 * 3600, downtimeSeconds: 3600, outages: 1 });
  t.equal(days[0].uptimePercent, Math.round((22 / 23) * 100 * 10_000) / 10_000);
  t.match(days[1], { date: '2025-03-31', downtimeSeconds: 0, monitoredSeconds: 2 * 3600 });
});
