import { wallClock } from '../../../core/plugin-api/index.ts';
/**
 * Business-time arithmetic on a calendar: opening hours per weekday in an IANA time zone, minus
 * holidays. Pure functions of instants (no clock, no database) so that every SLA deadline, pause
 * and resume is computed by the same rules and can be checked by hand in tests. One time base
 * throughout: targets are business seconds, instants are UTC.
 */

export interface BusinessWindow {
  /** ISO weekday: 1 = Monday … 7 = Sunday. */
  day: number;
  /** Local wall time `HH:MM`, inclusive. */
  start: string;
  /** Local wall time `HH:MM` (or `24:00`), exclusive; after `start`. */
  end: string;
}

export interface BusinessCalendar {
  timeZone: string;
  weeklyHours: BusinessWindow[];
  /** Local dates (`YYYY-MM-DD`) with no business hours at all. */
  holidays: string[];
}

/** No calendar means around the clock: business time is wall time. */
export type Calendar = BusinessCalendar | null;

// A calendar with hours always finds them within a year of days (even 52 weeks of holidays cannot close all of them); stop well after.
const maxDays = 3 * 366;

/** Whether `timeZone` is an IANA zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    wallClock(0, timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The local wall clock of an instant in a zone, as the UTC milliseconds of the same wall reading. */
function wallMillis(instant: number, timeZone: string): number {
  const parts = wallClock(instant, timeZone);
  return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
}

/**
 * The instant a local wall time names in a zone. In a DST gap the wall time does not exist and
 * the instant after the gap is taken; in an overlap, the first (earlier) of the two.
 */
export function zonedInstant(wall: number, timeZone: string): number {
  let guess = wall - (wallMillis(wall, timeZone) - wall);
  // Two corrections settle every real zone (the offset at the guess may differ from the offset at the wall time).
  for (let i = 0; i < 2; i++) {
    const offset = wallMillis(guess, timeZone) - guess;
    guess = wall - offset;
  }
  return guess;
}

const minutesOf = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
};

const isoDate = (wallDay: number) => new Date(wallDay).toISOString().slice(0, 10);

/** ISO weekday (1 = Monday) of a wall-clock day given as UTC midnight millis. */
const weekday = (wallDay: number) => ((new Date(wallDay).getUTCDay() + 6) % 7) + 1;

/** The open intervals (UTC millis) of one local day, in order. */
function openIntervals(calendar: BusinessCalendar, wallDay: number, holidays: ReadonlySet<string>): [number, number][] {
  if (holidays.has(isoDate(wallDay))) return [];
  const day = weekday(wallDay);
  return calendar.weeklyHours
    .filter((w) => w.day === day)
    .map((w): [number, number] => [
      zonedInstant(wallDay + minutesOf(w.start) * 60_000, calendar.timeZone),
      zonedInstant(wallDay + minutesOf(w.end) * 60_000, calendar.timeZone),
    ])
    .filter(([start, end]) => end > start)
    .sort((a, b) => a[0] - b[0]);
}

const wallDayOf = (instant: number, timeZone: string) => {
  const wall = wallMillis(instant, timeZone);
  return wall - (((wall % 86_400_000) + 86_400_000) % 86_400_000);
};

/** Problems with a calendar a user sent, as readable sentences (empty when it is usable). */
export function calendarProblems(calendar: BusinessCalendar): string[] {
  const problems: string[] = [];
  if (!isTimeZone(calendar.timeZone)) problems.push(`timeZone ${calendar.timeZone} is not an IANA time zone`);
  const time = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;
  for (const [i, w] of calendar.weeklyHours.entries()) {
    if (!time.test(w.start) || !time.test(w.end)) problems.push(`weeklyHours[${i}] times must be HH:MM`);
    else if (minutesOf(w.end) <= minutesOf(w.start)) problems.push(`weeklyHours[${i}] must end after it starts`);
  }
  if (calendar.weeklyHours.length === 0) problems.push('weeklyHours must hold at least one window');
  for (const [i, h] of calendar.holidays.entries()) if (Number.isNaN(Date.parse(`${h}T00:00:00Z`))) problems.push(`holidays[${i}] is not a date`);
  return problems;
}

/** The instant at which `seconds` of business time have passed since `from`. */
export function addBusinessSeconds(from: Date, seconds: number, calendar: Calendar): Date {
  if (seconds <= 0) return new Date(from);
  if (!calendar) return new Date(from.getTime() + seconds * 1000);
  const holidays = new Set(calendar.holidays);
  let remaining = seconds * 1000;
  const start = from.getTime();
  let day = wallDayOf(start, calendar.timeZone);
  for (let i = 0; i < maxDays; i++, day += 86_400_000) {
    for (const [open, close] of openIntervals(calendar, day, holidays)) {
      if (close <= start) continue;
      const begin = Math.max(open, start);
      if (remaining <= close - begin) return new Date(begin + remaining);
      remaining -= close - begin;
    }
  }
  throw new Error('The calendar has no business hours to reach the target');
}

/** Business seconds between two instants (0 when `to` is not after `from`). */
export function businessSecondsBetween(from: Date, to: Date, calendar: Calendar): number {
  const a = from.getTime();
  const b = to.getTime();
  if (b <= a) return 0;
  if (!calendar) return Math.floor((b - a) / 1000);
  const holidays = new Set(calendar.holidays);
  let total = 0;
  const last = wallDayOf(b, calendar.timeZone);
  for (let day = wallDayOf(a, calendar.timeZone); day <= last; day += 86_400_000) {
    for (const [open, close] of openIntervals(calendar, day, holidays)) {
      const begin = Math.max(open, a);
      const end = Math.min(close, b);
      if (end > begin) total += end - begin;
    }
  }
  return Math.floor(total / 1000);
}
