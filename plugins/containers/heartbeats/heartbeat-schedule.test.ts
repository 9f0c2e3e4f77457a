import t from 'tap';
import { addDays, checkCron, expectedAfter, isTimeZone, zonedDate, zonedMidnight } from './heartbeat-schedule.ts';

const at = (s: string) => new Date(s);

t.test('a period schedule expects the next ping a period after the last', async (t) => {
  t.equal(expectedAfter({ kind: 'period', periodSeconds: 3600 }, at('2025-03-30T00:30:00Z')).toISOString(), '2025-03-30T01:30:00.000Z');
});

t.test('cron deadlines across the spring-forward change (Europe/Berlin, 2025-03-30 02:00 → 03:00)', async (t) => {
  const daily3 = { kind: 'cron' as const, cron: '0 3 * * *', timezone: 'Europe/Berlin' };
  // Pinged at 03:00 CET on the 29th: the next 03:00 is CEST, 23 hours later.
  t.equal(expectedAfter(daily3, at('2025-03-29T02:00:00Z')).toISOString(), '2025-03-30T01:00:00.000Z', '03:00 CEST is 01:00Z');
  const gap = { kind: 'cron' as const, cron: '30 2 * * *', timezone: 'Europe/Berlin' };
  // 02:30 does not exist on the 30th: a fixed-time job runs at the first valid time after the gap.
  t.equal(expectedAfter(gap, at('2025-03-29T01:30:00Z')).toISOString(), '2025-03-30T01:00:00.000Z', '03:00 CEST, right after the gap');
  t.equal(expectedAfter(gap, at('2025-03-30T01:00:00Z')).toISOString(), '2025-03-31T00:30:00.000Z', 'then 02:30 CEST again');
  const hourly = { kind: 'cron' as const, cron: '0 * * * *', timezone: 'Europe/Berlin' };
  t.equal(expectedAfter(hourly, at('2025-03-30T00:30:00Z')).toISOString(), '2025-03-30T01:00:00.000Z', 'hourly: every real hour, 03:00 CEST follows 01:00 CET');
  t.equal(
    expectedAfter({ kind: 'cron', cron: '0 3 * * *', timezone: 'UTC' }, at('2025-03-29T03:00:00Z')).toISOString(),
    '2025-03-30T03:00:00.000Z',
    'UTC has no DST: 24 hours',
  );
});

t.test('cron deadlines across the fall-back change (America/New_York, 2025-11-02 02:00 → 01:00)', async (t) => {
  const daily130 = { kind: 'cron' as const, cron: '30 1 * * *', timezone: 'America/New_York' };
  // 01:30 happens twice on Nov 2 (EDT 05:30Z, then EST 06:30Z): expected at the first.
  t.equal(expectedAfter(daily130, at('2025-11-01T05:30:00Z')).toISOString(), '2025-11-02T05:30:00.000Z');
  t.equal(expectedAfter(daily130, at('2025-11-02T05:30:00Z')).toISOString(), '2025-11-03T06:30:00.000Z', 'and 25 hours later the next day');
});

t.test('a ping exactly at the scheduled time expects the following one', async (t) => {
  const every5 = { kind: 'cron' as const, cron: '*/5 * * * *', timezone: 'UTC' };
  t.equal(expectedAfter(every5, at('2025-01-01T10:05:00Z')).toISOString(), '2025-01-01T10:10:00.000Z');
  t.equal(expectedAfter(every5, at('2025-01-01T10:04:59Z')).toISOString(), '2025-01-01T10:05:00.000Z');
});

t.test('a known cron deadline is reused for later pings before it', async (t) => {
  const every5 = { kind: 'cron' as const, cron: '*/5 * * * *', timezone: 'UTC' };
  const known = { from: at('2025-01-01T10:01:00Z'), expected: at('2025-01-01T10:05:00Z') };
  t.equal(expectedAfter(every5, at('2025-01-01T10:03:00Z'), known), known.expected);
  t.equal(expectedAfter(every5, at('2025-01-01T10:05:00Z'), known).toISOString(), '2025-01-01T10:10:00.000Z', 'not once the ping reaches it');
});

t.test('cron expressions and time zones are checked', async (t) => {
  t.same(checkCron('*/15 * * * *', 'Europe/Berlin'), []);
  t.match(checkCron('61 * * * *', 'UTC'), [{ path: '/body/cron', message: /minute/ }]);
  t.match(checkCron('* * * * * *', 'UTC'), [{ path: '/body/cron', message: /5 parts/ }]);
  t.match(checkCron('0 3 * * *', 'Mars/Olympus'), [{ path: '/body/timezone' }]);
  t.ok(isTimeZone('UTC'));
  t.ok(isTimeZone('America/New_York'));
  t.notOk(isTimeZone('Nowhere/Special'));
});

t.test('calendar days in a time zone', async (t) => {
  t.equal(zonedMidnight('2025-03-30', 'Europe/Berlin').toISOString(), '2025-03-29T23:00:00.000Z');
  t.equal(zonedMidnight('2025-03-31', 'Europe/Berlin').toISOString(), '2025-03-30T22:00:00.000Z', 'the 30th has 23 hours');
  t.equal(zonedMidnight('2025-11-02', 'America/New_York').toISOString(), '2025-11-02T04:00:00.000Z');
  t.equal(zonedMidnight('2025-11-03', 'America/New_York').toISOString(), '2025-11-03T05:00:00.000Z', 'Nov 2 has 25 hours');
  t.equal(zonedDate(at('2025-03-29T23:30:00Z'), 'Europe/Berlin'), '2025-03-30');
  t.equal(zonedDate(at('2025-03-29T23:30:00Z'), 'UTC'), '2025-03-29');
  t.equal(addDays('2025-02-28', 1), '2025-03-01');
  t.equal(addDays('2025-03-01', -1), '2025-02-28');
});
