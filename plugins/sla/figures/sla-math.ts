/**
 * SLA arithmetic: availability, incidents and error budgets, computed by time from status
 * transitions (never by counting checks). Pure functions: no database, no clock, no I/O.
 *
 * Policy (see ANCHORS.md, "Uptime and SLA"):
 * - DOWN counts as downtime.
 * - UNKNOWN counts as downtime too: no data means the agent went silent, and a silent agent must not
 *   look healthy ("detection over silence", seed 001). A range with no known status starts UNKNOWN.
 * - DEGRADED counts as up (the service answers, slowly or partly); so does OPERATIONAL.
 * - MAINTENANCE counts as up. Only exclusion windows remove time from the calculation: a status of
 *   MAINTENANCE outside any window is ordinary uptime, and downtime inside a window is excluded, not
 *   counted as downtime.
 *
 * Availability = (T − M − D) / (T − M), in seconds: T the evaluated time, M the excluded time (windows
 * merged first so no second is excluded twice), D the downtime outside windows. With no eligible time
 * (T − M = 0) availability is null rather than 0 % or 100 %: there is nothing to judge.
 *
 * All inputs are epoch milliseconds; results are seconds at full precision (sums are kept in
 * milliseconds, which are exact integers, and divided once at the end). Rounding is for display only.
 */

export type ServiceStatus = 'OPERATIONAL' | 'DEGRADED' | 'DOWN' | 'MAINTENANCE' | 'UNKNOWN';

export interface StatusTransition {
  at: number;
  status: ServiceStatus;
}

/** An exclusion (maintenance) window [start, end); end null = still open. */
export interface TimeWindow {
  start: number;
  end: number | null;
}

export interface AvailabilityInput {
  /** Range start (inclusive). For a service created inside the period, pass its creation time. */
  start: number;
  /** Range end (exclusive), already clipped to now by the caller. */
  end: number;
  /** Status in force at `start`; null = nothing known, which counts as UNKNOWN. */
  initialStatus: ServiceStatus | null;
  /** Sorted by `at`. Entries before `start` or at/after `end` are ignored. */
  transitions: readonly StatusTransition[];
  /** Any order, may overlap, may extend outside the range; an open window runs to `end`. */
  windows: readonly TimeWindow[];
}

/**
 * A maximal span in which the status counted as down (DOWN and UNKNOWN back to back are one incident),
 * clipped to the range. An incident wholly inside an exclusion window is still listed, with
 * downtimeSeconds 0, so a report can show that it happened and why it did not count.
 */
export interface Incident {
  start: number;
  /** null = still down at the end of the range. */
  end: number | null;
  /** Seconds of this incident outside exclusion windows. */
  downtimeSeconds: number;
}

export interface Availability {
  totalSeconds: number;
  excludedSeconds: number;
  downtimeSeconds: number;
  /** 0..1, or null when every second of the range was excluded (or the range is empty). */
  availability: number | null;
  incidents: Incident[];
}

export function countsAsDown(status: ServiceStatus): boolean {
  return status === 'DOWN' || status === 'UNKNOWN';
}

/** Clips windows to [start, end), closes open ones at `end`, and merges overlaps; sorted, disjoint. */
export function mergeWindows(windows: readonly TimeWindow[], start: number, end: number): { start: number; end: number }[] {
  const clipped = windows
    .map((w) => ({ start: Math.max(w.start, start), end: Math.min(w.end ?? end, end) }))
    .filter((w) => w.end > w.start)
    .sort((a, b) => a.start - b.start);
  const merged: { start: number; end: number }[] = [];
  for (const w of clipped) {
    const last = merged.at(-1);
    // Touching windows ([1,2) and [2,3)) merge too: same total, fewer spans to walk.
    if (last && w.start <= last.end) last.end = Math.max(last.end, w.end);
    else merged.push(w);
  }
  return merged;
}

export function computeAvailability(input: AvailabilityInput): Availability {
  const { start } = input;
  // An empty or inverted range (e.g. a period that has not started yet) has nothing to measure.
  const end = Math.max(input.end, start);
  const windows = mergeWindows(input.windows, start, end);
  const excludedMs = windows.reduce((sum, w) => sum + (w.end - w.start), 0);

  // Down spans arrive in time order, so one cursor walks the merged windows once in total.
  let cursor = 0;
  const insideWindowsMs = (from: number, to: number): number => {
    while (cursor < windows.length && windows[cursor].end <= from) cursor++;
    let overlap = 0;
    // Do not advance `cursor` here: the last window may also cover the next down span.
    for (let i = cursor; i < windows.length && windows[i].start < to; i++) {
      overlap += Math.min(windows[i].end, to) - Math.max(windows[i].start, from);
    }
    return overlap;
  };

  const incidents: { start: number; end: number; downMs: number }[] = [];
  let downtimeMs = 0;
  let status: ServiceStatus = input.initialStatus ?? 'UNKNOWN';
  let since = start;
  const closeSegment = (until: number) => {
    if (until > since && countsAsDown(status)) {
      const downMs = until - since - insideWindowsMs(since, until);
      downtimeMs += downMs;
      const last = incidents.at(-1);
      if (last && last.end === since) {
        last.end = until;
        last.downMs += downMs;
      } else {
        incidents.push({ start: since, end: until, downMs });
      }
    }
    since = until;
  };
  for (const transition of input.transitions) {
    if (transition.at < start || transition.at >= end) continue;
    closeSegment(transition.at);
    status = transition.status;
  }
  closeSegment(end);

  const totalMs = end - start;
  const eligibleMs = totalMs - excludedMs;
  return {
    totalSeconds: totalMs / 1000,
    excludedSeconds: excludedMs / 1000,
    downtimeSeconds: downtimeMs / 1000,
    availability: eligibleMs > 0 ? (eligibleMs - downtimeMs) / eligibleMs : null,
    incidents: incidents.map((i) => ({ start: i.start, end: i.end === end ? null : i.end, downtimeSeconds: i.downMs / 1000 })),
  };
}

export type SlaStatus = 'met' | 'at_risk' | 'breached';

export interface BudgetInput {
  /** e.g. 99.9 */
  targetPercent: number;
  /** For a service created inside the period, pass its creation time. */
  periodStart: number;
  periodEnd: number;
  now: number;
  /** Both measured from periodStart to min(now, periodEnd). */
  excludedSeconds: number;
  downtimeSeconds: number;
}

export interface Budget {
  status: SlaStatus;
  /** Downtime the target allows over the whole period. */
  budgetSeconds: number;
  /** budget − downtime so far; negative = overspent by that much. */
  budgetRemainingSeconds: number;
  /** Downtime so far plus what the current burn rate adds by the end of the period. */
  projectedDowntimeSeconds: number;
}

/**
 * A target such as 99.9 is not exact in binary, so (100 − 99.9) % of a month comes out a few
 * nanoseconds short of 2,592 s. Measurements have millisecond resolution, so a difference below half a
 * millisecond is representation noise, not a breach.
 */
const NOISE_SECONDS = 0.0005;

export function evaluateBudget(input: BudgetInput): Budget {
  const { targetPercent, periodStart, periodEnd, now, excludedSeconds, downtimeSeconds } = input;
  if (!(targetPercent >= 0 && targetPercent <= 100)) throw new RangeError(`targetPercent must be within 0..100, got ${targetPercent}`);
  const periodSeconds = Math.max(0, periodEnd - periodStart) / 1000;
  // Future exclusions are unknown, so the budget assumes none beyond those already declared.
  const eligibleSeconds = Math.max(0, periodSeconds - excludedSeconds);
  const budgetSeconds = (eligibleSeconds * (100 - targetPercent)) / 100;
  const budgetRemainingSeconds = budgetSeconds - downtimeSeconds;
  const breached = downtimeSeconds > budgetSeconds + NOISE_SECONDS;

  const finished = now >= periodEnd;
  let projectedFurther = 0;
  if (!finished) {
    const elapsedEligible = Math.max(0, now - periodStart) / 1000 - excludedSeconds;
    // With no eligible time elapsed there is no burn rate yet; project nothing rather than divide by 0.
    const burnRate = elapsedEligible > 0 ? downtimeSeconds / elapsedEligible : 0;
    projectedFurther = (burnRate * (periodEnd - Math.max(now, periodStart))) / 1000;
  }
  // A finished period has no future to project, so it is only ever met or breached.
  const status: SlaStatus = breached ? 'breached' : !finished && budgetRemainingSeconds < projectedFurther ? 'at_risk' : 'met';
  return { status, budgetSeconds, budgetRemainingSeconds, projectedDowntimeSeconds: downtimeSeconds + projectedFurther };
}

export type PeriodType = 'HOURLY' | 'DAILY' | 'MONTHLY' | 'SNAPSHOT';

export interface Period {
  start: number;
  end: number;
  key: string;
}

/** Fixed-length periods in ms; SNAPSHOT is the 5-minute bucket. Months vary, so they are computed. */
const FIXED_MS = { SNAPSHOT: 5 * 60_000, HOURLY: 3_600_000, DAILY: 86_400_000 } as const;
/** How much of the ISO-8601 UTC timestamp names the period: '2026-03-31T23:55', '…T23', '2026-03-31', '2026-03'. */
const KEY_LENGTH = { SNAPSHOT: 16, HOURLY: 13, DAILY: 10, MONTHLY: 7 } as const;

/** The UTC period of `type` containing `at`. Epoch time has no leap seconds, so days are exactly 86,400 s. */
export function periodRange(type: PeriodType, at: number): Period {
  let start: number;
  let end: number;
  if (type === 'MONTHLY') {
    const date = new Date(at);
    start = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
    end = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  } else {
    const length = FIXED_MS[type];
    start = Math.floor(at / length) * length;
    end = start + length;
  }
  return { start, end, key: new Date(start).toISOString().slice(0, KEY_LENGTH[type]) };
}

/** Every period of `type` overlapping [from, to), in order; none when the range is empty. */
export function periodsBetween(type: PeriodType, from: number, to: number): Period[] {
  const periods: Period[] = [];
  if (to <= from) return periods;
  for (let period = periodRange(type, from); period.start < to; period = periodRange(type, period.end)) periods.push(period);
  return periods;
}
