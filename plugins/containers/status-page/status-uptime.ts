import type { ComponentStatus } from './status-components.ts';

const DAY = 86_400_000;

export interface StatusChange {
  at: Date;
  status: ComponentStatus;
}

export interface DayBar {
  /** UTC calendar day, YYYY-MM-DD. */
  date: string;
  /** The worst status of the day; `no_data` when nothing was known that day. */
  status: ComponentStatus | 'no_data';
  /** Null when no monitored time remains (no data, or maintenance all day). */
  uptimePercent: number | null;
  outageSeconds: number;
  degradedSeconds: number;
  maintenanceSeconds: number;
  /** Seconds with a known status (unknown and not-yet-monitored time excluded). */
  monitoredSeconds: number;
}

export interface UptimeSummary {
  days: DayBar[];
  /** Over the whole window, the same rule as a day's. */
  uptimePercent: number | null;
}

function percent(monitored: number, maintenance: number, outage: number): number | null {
  const counted = monitored - maintenance;
  if (counted <= 0) return null;
  if (outage <= 0) return 100;
  return Math.floor((100 - (100 * outage) / counted) * 100) / 100;
}

/**
 * Daily uptime by time over the last `days` UTC days up to `now`, from a monitor's status changes
 * (oldest first; the last change before the window says what held when it began). Uptime is
 * (monitored − maintenance − outage) / (monitored − maintenance): a major outage counts as down,
 * degraded as up, maintenance is left out, and unknown time (before the first status, or a status
 * nobody knows) is no data, not downtime. Percentages are rounded down to 0.01 so a day with any
 * outage never shows 100 %.
 */
export function dailyUptime(changes: StatusChange[], now: Date, days = 90): UptimeSummary {
  const todayStart = Math.floor(now.getTime() / DAY) * DAY;
  const windowStart = todayStart - (days - 1) * DAY;
  const buckets = Array.from({ length: days }, () => ({ operational: 0, degraded: 0, major_outage: 0, maintenance: 0, unknown: 0 }));
  for (let i = 0; i < changes.length; i++) {
    const from = Math.max(changes[i].at.getTime(), windowStart);
    const to = Math.min(i + 1 < changes.length ? changes[i + 1].at.getTime() : now.getTime(), now.getTime());
    if (to <= from) continue;
    for (let day = Math.floor((from - windowStart) / DAY); day < days; day++) {
      const dayStart = windowStart + day * DAY;
      if (dayStart >= to) break;
      const seconds = (Math.min(to, dayStart + DAY) - Math.max(from, dayStart)) / 1000;
      // Paused time is no data: nobody watched it, and nobody announced it as maintenance.
      const status = changes[i].status;
      buckets[day][status === 'paused' ? 'unknown' : status] += seconds;
    }
  }
  let monitored = 0;
  let maintenance = 0;
  let outage = 0;
  const bars = buckets.map((b, day): DayBar => {
    const dayMonitored = b.operational + b.degraded + b.major_outage + b.maintenance;
    monitored += dayMonitored;
    maintenance += b.maintenance;
    outage += b.major_outage;
    const status: DayBar['status'] =
      b.major_outage > 0 ? 'major_outage' : b.degraded > 0 ? 'degraded' : b.maintenance > 0 ? 'maintenance' : b.operational > 0 ? 'operational' : 'no_data';
    return {
      date: new Date(windowStart + day * DAY).toISOString().slice(0, 10),
      status,
      uptimePercent: percent(dayMonitored, b.maintenance, b.major_outage),
      outageSeconds: Math.round(b.major_outage),
      degradedSeconds: Math.round(b.degraded),
      maintenanceSeconds: Math.round(b.maintenance),
      monitoredSeconds: Math.round(dayMonitored),
    };
  });
  return { days: bars, uptimePercent: percent(monitored, maintenance, outage) };
}
