import { addDays, zonedDate, zonedMidnight } from './heartbeat-schedule.ts';

/** A status change of a heartbeat. */
export interface Flip {
  at: Date;
  to: string;
}

export interface DailyUptime {
  date: string;
  uptimePercent: number | null;
  downtimeSeconds: number | null;
  monitoredSeconds: number;
  outages: number | null;
}

/**
 * Uptime by time, per calendar day of `timeZone` (days are 23 or 25 hours long across DST changes):
 * (seconds monitored − seconds down) / seconds monitored. A day is monitored from the heartbeat's
 * creation (or midnight) to midnight (or now); only time in `down` counts against it (late is
 * within grace; new and paused are not down). Days before the heartbeat existed have null figures.
 *
 * `flips` are the status changes from the first day's midnight on, oldest first; `statusBefore` is
 * the status the heartbeat had at that midnight.
 */
export function dailyUptime(input: { flips: Flip[]; statusBefore: string; createdAt: Date; now: Date; days: number; timeZone: string }): DailyUptime[] {
  const { flips, createdAt, now, days, timeZone } = input;
  const today = zonedDate(now, timeZone);
  const first = addDays(today, -(days - 1));
  const rangeStart = zonedMidnight(first, timeZone).getTime();
  // Status segments [from, to) from the first midnight to now.
  const segments: { from: number; to: number; status: string }[] = [];
  let cursor = rangeStart;
  let status = input.statusBefore;
  for (const flip of flips) {
    const at = Math.min(Math.max(flip.at.getTime(), cursor), now.getTime());
    if (at > cursor) segments.push({ from: cursor, to: at, status });
    cursor = at;
    status = flip.to;
  }
  if (now.getTime() > cursor) segments.push({ from: cursor, to: now.getTime(), status });

  const result: DailyUptime[] = [];
  for (let i = 0; i < days; i++) {
    const date = addDays(first, i);
    const dayStart = zonedMidnight(date, timeZone).getTime();
    const dayEnd = Math.min(zonedMidnight(addDays(date, 1), timeZone).getTime(), now.getTime());
    const from = Math.max(dayStart, createdAt.getTime());
    if (createdAt.getTime() >= dayEnd) {
      result.push({ date, uptimePercent: null, downtimeSeconds: null, monitoredSeconds: 0, outages: null });
      continue;
    }
    let downMs = 0;
    for (const s of segments) {
      if (s.status !== 'down') continue;
      const overlap = Math.min(s.to, dayEnd) - Math.max(s.from, from);
      if (overlap > 0) downMs += overlap;
    }
    const outages = flips.filter((f) => f.to === 'down' && f.at.getTime() >= dayStart && f.at.getTime() < dayEnd).length;
    const monitoredMs = Math.max(0, dayEnd - from);
    result.push({
      date,
      uptimePercent: monitoredMs > 0 ? round(((monitoredMs - downMs) / monitoredMs) * 100) : null,
      downtimeSeconds: downMs / 1000,
      monitoredSeconds: monitoredMs / 1000,
      outages,
    });
  }
  return result;
}

const round = (value: number) => Math.round(value * 10_000) / 10_000;
