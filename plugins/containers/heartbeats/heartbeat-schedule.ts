import { Cron } from 'croner';
import { wallClock } from '../../../core/plugin-api/index.ts';

/**
 * When a heartbeat expects its next ping: a fixed period after the last one, or the next time of a
 * cron expression after it, read in the heartbeat's time zone (croner: DST-aware; a fixed-time job
 * whose time falls in a spring-forward gap is expected at the first valid time after the gap, and a
 * time that occurs twice in autumn is expected at its first occurrence, as Vixie cron runs them).
 */
export type Schedule = { kind: 'period'; periodSeconds: number } | { kind: 'cron'; cron: string; timezone: string };

export interface Problem {
  path: string;
  message: string;
}

const zoneCache = new Map<string, boolean>();

/** An IANA time zone name this runtime knows (`UTC`, `Europe/Berlin`, ...). */
export function isTimeZone(name: string): boolean {
  let known = zoneCache.get(name);
  if (known === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: name });
      known = true;
    } catch {
      known = false;
    }
    if (zoneCache.size < 1000) zoneCache.set(name, known);
  }
  return known;
}

const crons = new Map<string, Cron>();

function cronOf(expression: string, timezone: string): Cron {
  const key = `${timezone} ${expression}`;
  let cron = crons.get(key);
  if (!cron) {
    // Standard five fields, day-of-month OR day-of-week (as cron does), in the heartbeat's zone.
    cron = new Cron(expression, { timezone, mode: '5-part', domAndDow: false, paused: true });
    if (crons.size >= 10_000) crons.clear();
    crons.set(key, cron);
  }
  return cron;
}

/** Why a cron expression or time zone is not usable, or an empty list. */
export function checkCron(expression: string, timezone: string, at = '/body'): Problem[] {
  const problems: Problem[] = [];
  if (!isTimeZone(timezone)) problems.push({ path: `${at}/timezone`, message: 'must be an IANA time zone name, e.g. Europe/Berlin' });
  try {
    const cron = new Cron(expression, { mode: '5-part', domAndDow: false, paused: true, ...(problems.length === 0 ? { timezone } : {}) });
    if (cron.nextRun(new Date()) === null) problems.push({ path: `${at}/cron`, message: 'never matches a future time' });
  } catch (error) {
    problems.push({ path: `${at}/cron`, message: `is not a five-field cron expression: ${(error as Error).message.replace(/^CronPattern: /, '')}` });
  }
  return problems;
}

/**
 * The schedule's deadline for a ping at `lastPingAt`: the next expected ping. `known` is a deadline
 * computed before for a ping at `known.from`; it still holds for any later ping before it (a cron
 * deadline only moves once a ping arrives at or after it), which spares re-evaluating the expression.
 */
export function expectedAfter(schedule: Schedule, lastPingAt: Date, known?: { from: Date; expected: Date }): Date {
  if (schedule.kind === 'period') return new Date(lastPingAt.getTime() + schedule.periodSeconds * 1000);
  if (known && lastPingAt.getTime() >= known.from.getTime() && lastPingAt.getTime() < known.expected.getTime()) return known.expected;
  const next = cronOf(schedule.cron, schedule.timezone).nextRun(lastPingAt);
  // An expression that matches nothing any more (e.g. a date that has passed) never expects a ping.
  return next ?? new Date(8.64e15);
}

/** The instant local midnight starts `date` (YYYY-MM-DD) in `timeZone` (23 or 25 hours apart around DST changes). */
export function zonedMidnight(date: string, timeZone: string): Date {
  const [y, m, d] = date.split('-').map(Number);
  const wall = Date.UTC(y, m - 1, d);
  // Two passes: the offset at the guess, then at the corrected guess (they differ only across a change).
  let instant = wall - offsetMs(new Date(wall), timeZone);
  instant = wall - offsetMs(new Date(instant), timeZone);
  return new Date(instant);
}

function wallParts(at: Date, timeZone: string): Record<string, number> {
  return wallClock(at, timeZone) as unknown as Record<string, number>;
}

/** The zone's offset from UTC at `at`, in milliseconds (positive east of Greenwich). */
export function offsetMs(at: Date, timeZone: string): number {
  const p = wallParts(at, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(at.getTime() / 1000) * 1000;
}

/** The calendar date (YYYY-MM-DD) of `at` in `timeZone`. */
export function zonedDate(at: Date, timeZone: string): string {
  const p = wallParts(at, timeZone);
  return `${String(p.year).padStart(4, '0')}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** The date `days` after `date` (YYYY-MM-DD), on the calendar. */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}
