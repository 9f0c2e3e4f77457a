import t from 'tap';
import { addBusinessSeconds, type BusinessCalendar, businessSecondsBetween, calendarProblems, zonedInstant } from './business-hours.ts';
import { changeStatus, retarget, startClock } from './sla-clock.ts';

// Every expected instant below is worked out by hand from the calendar, then written in UTC.
const weekdays = (start: string, end: string) => [1, 2, 3, 4, 5].map((day) => ({ day, start, end }));
const berlin: BusinessCalendar = { timeZone: 'Europe/Berlin', weeklyHours: weekdays('09:00', '17:00'), holidays: ['2026-12-25'] };
const newYork: BusinessCalendar = { timeZone: 'America/New_York', weeklyHours: weekdays('09:00', '17:00'), holidays: [] };
const kolkata: BusinessCalendar = { timeZone: 'Asia/Kolkata', weeklyHours: weekdays('09:00', '18:00'), holidays: [] };
const at = (iso: string) => new Date(iso);
const hours = (n: number) => n * 3600;

t.test('local wall times become instants in their zone, across DST', async (t) => {
  t.equal(new Date(zonedInstant(Date.UTC(2026, 11, 18, 9), 'Europe/Berlin')).toISOString(), '2026-12-18T08:00:00.000Z', 'CET is UTC+1');
  t.equal(new Date(zonedInstant(Date.UTC(2026, 6, 17, 9), 'Europe/Berlin')).toISOString(), '2026-07-17T07:00:00.000Z', 'CEST is UTC+2');
  t.equal(new Date(zonedInstant(Date.UTC(2026, 2, 9, 9), 'America/New_York')).toISOString(), '2026-03-09T13:00:00.000Z', 'EDT after the March change');
  t.equal(new Date(zonedInstant(Date.UTC(2026, 11, 14, 9), 'Asia/Kolkata')).toISOString(), '2026-12-14T03:30:00.000Z', 'IST is UTC+5:30');
});

t.test('a target crossing a weekend continues on Monday morning', async (t) => {
  // Friday 16:00 Berlin: one hour left that day, the second on Monday from 09:00.
  t.equal(addBusinessSeconds(at('2026-12-18T15:00:00Z'), hours(2), berlin).toISOString(), '2026-12-21T09:00:00.000Z');
  t.equal(businessSecondsBetween(at('2026-12-18T15:00:00Z'), at('2026-12-21T09:00:00Z'), berlin), hours(2), 'and the span back is two business hours');
  // Starting on a Saturday counts from Monday's opening.
  t.equal(addBusinessSeconds(at('2026-12-19T10:00:00Z'), 1800, berlin).toISOString(), '2026-12-21T08:30:00.000Z');
});

t.test('a holiday has no business hours', async (t) => {
  // Thursday 24 December 16:00: one hour, then Friday 25 (holiday) and the weekend are skipped.
  t.equal(addBusinessSeconds(at('2026-12-24T15:00:00Z'), hours(2), berlin).toISOString(), '2026-12-28T09:00:00.000Z');
  t.equal(businessSecondsBetween(at('2026-12-24T00:00:00Z'), at('2026-12-29T00:00:00Z'), berlin), hours(16), 'Thursday and Monday only');
});

t.test('time zones other than UTC, with a DST change inside the span', async (t) => {
  // Friday 6 March 16:00 EST (21:00Z); the clocks go forward on Sunday; Monday 10:00 EDT is 14:00Z.
  t.equal(addBusinessSeconds(at('2026-03-06T21:00:00Z'), hours(2), newYork).toISOString(), '2026-03-09T14:00:00.000Z');
  // Monday 17:30 IST with hours to 18:00: half an hour, then Tuesday 09:30 IST (04:00Z).
  t.equal(addBusinessSeconds(at('2026-12-14T12:00:00Z'), hours(1), kolkata).toISOString(), '2026-12-15T04:00:00.000Z');
});

t.test('no calendar is wall time around the clock', async (t) => {
  t.equal(addBusinessSeconds(at('2026-12-19T10:00:00Z'), hours(30), null).toISOString(), '2026-12-20T16:00:00.000Z');
  t.equal(businessSecondsBetween(at('2026-12-19T10:00:00Z'), at('2026-12-19T09:00:00Z'), null), 0, 'a span backwards is empty');
});

t.test('calendar problems are named', async (t) => {
  t.same(calendarProblems(berlin), []);
  t.match(calendarProblems({ timeZone: 'Mars/Olympus', weeklyHours: [{ day: 1, start: '10:00', end: '09:00' }], holidays: ['nope'] }), [
    /not an IANA time zone/,
    /must end after it starts/,
    /holidays\[0\] is not a date/,
  ]);
  t.match(calendarProblems({ timeZone: 'UTC', weeklyHours: [], holidays: [] }), [/at least one window/]);
});

const targets = { firstResponseMinutes: 60, resolutionMinutes: 480 };
// Monday 14 December 09:00 Berlin.
const created = at('2026-12-14T08:00:00Z');

t.test('a new ticket gets its first-response and resolution deadlines, and the 75 % marks', async (t) => {
  const clock = startClock(created, 'new', targets, berlin);
  t.equal(clock.firstResponseDueAt?.toISOString(), '2026-12-14T09:00:00.000Z');
  t.equal(clock.firstResponseWarnAt?.toISOString(), '2026-12-14T08:45:00.000Z');
  t.equal(clock.resolutionDueAt?.toISOString(), '2026-12-14T16:00:00.000Z', 'eight business hours: 17:00 Berlin');
  t.equal(clock.resolutionWarnAt?.toISOString(), '2026-12-14T14:00:00.000Z', 'six business hours: 15:00 Berlin');
  t.equal(startClock(created, 'new', null, berlin).resolutionDueAt, null, 'no policy, no deadlines');
});

t.test('pending pauses only the resolution clock, by business time, and resuming continues it', async (t) => {
  let clock = startClock(created, 'new', targets, berlin);
  // Pending at 11:00 Berlin: two business hours ran.
  clock = changeStatus(clock, 'open', 'pending', at('2026-12-14T10:00:00Z'), berlin);
  t.equal(clock.resolutionElapsedS, hours(2));
  t.equal(clock.resolutionDueAt, null, 'no resolution deadline while pending');
  t.equal(clock.firstResponseDueAt?.toISOString(), '2026-12-14T09:00:00.000Z', 'the first-response deadline does not move');
  // Back to open on Tuesday 09:00: six hours left, due Tuesday 15:00 Berlin.
  clock = changeStatus(clock, 'pending', 'open', at('2026-12-15T08:00:00Z'), berlin);
  t.equal(clock.resolutionDueAt?.toISOString(), '2026-12-15T14:00:00.000Z');
  t.equal(clock.resolutionWarnAt?.toISOString(), '2026-12-15T12:00:00.000Z', '75 % (six hours) reached after four more');
});

t.test('reopening a resolved ticket resumes the clock where it stopped', async (t) => {
  let clock = startClock(created, 'new', targets, berlin);
  // Resolved Monday 12:00 Berlin after three business hours; it also counts as the first response.
  clock = changeStatus(clock, 'open', 'resolved', at('2026-12-14T11:00:00Z'), berlin);
  t.equal(clock.resolutionElapsedS, hours(3));
  t.equal(clock.firstRespondedAt?.toISOString(), '2026-12-14T11:00:00.000Z');
  t.equal(clock.firstResponseDueAt, null);
  // Reopened Wednesday 14:00: three hours that day, the last two on Thursday until 11:00 Berlin.
  clock = changeStatus(clock, 'resolved', 'open', at('2026-12-16T13:00:00Z'), berlin);
  t.equal(clock.resolutionDueAt?.toISOString(), '2026-12-17T10:00:00.000Z');
});

t.test('a priority change mid-way measures the time already run against the new target', async (t) => {
  const clock = startClock(created, 'open', targets, berlin);
  // Monday 13:00 Berlin, four hours in. Urgent (two hours): due at once.
  const urgent = retarget(clock, { firstResponseMinutes: 15, resolutionMinutes: 120 }, at('2026-12-14T12:00:00Z'), berlin, 'open');
  t.equal(urgent.resolutionDueAt?.toISOString(), '2026-12-14T12:00:00.000Z', 'already over the new target: due now');
  t.equal(urgent.firstResponseDueAt?.toISOString(), '2026-12-14T08:15:00.000Z', 'first response measured from creation');
  // Low (sixteen hours): twelve left, four on Monday and eight on Tuesday, until 17:00.
  const low = retarget(clock, { firstResponseMinutes: 240, resolutionMinutes: 960 }, at('2026-12-14T12:00:00Z'), berlin, 'open');
  t.equal(low.resolutionDueAt?.toISOString(), '2026-12-15T16:00:00.000Z');
  t.equal(low.resolutionElapsedS, hours(4));
  // A paused ticket keeps no resolution deadline after the change.
  const paused = changeStatus(clock, 'open', 'pending', at('2026-12-14T12:00:00Z'), berlin);
  t.equal(retarget(paused, targets, at('2026-12-14T13:00:00Z'), berlin, 'pending').resolutionDueAt, null);
});
