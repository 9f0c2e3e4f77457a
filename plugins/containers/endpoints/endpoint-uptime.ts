/** A status change: from `at` on, the status is `to`. */
export interface StatusFlip {
  at: Date;
  to: string;
}

export interface WindowUptime {
  from: Date;
  to: Date;
  /** Null when the monitor did not exist yet during the window. */
  uptimePercent: number | null;
  downtimeSeconds: number | null;
  monitoredSeconds: number;
  /** Times it went down in the window. */
  outages: number | null;
}

const round = (value: number) => Math.round(value * 10_000) / 10_000;

/**
 * Uptime by time over consecutive windows: (seconds monitored − seconds down) / seconds monitored.
 * A window is monitored from the monitor's creation (or its start) to its end (or now); only time in
 * `down` counts against it (pending and paused are not outages). `flips` are oldest first, from
 * before the first window on; `statusBefore` is the status before the first flip given.
 */
export function uptimeInWindows(input: {
  flips: StatusFlip[];
  statusBefore: string;
  createdAt: Date;
  now: Date;
  windows: { from: Date; to: Date }[];
}): WindowUptime[] {
  const now = input.now.getTime();
  const segments: { from: number; to: number; status: string }[] = [];
  let cursor = Math.min(input.createdAt.getTime(), ...input.windows.map((w) => w.from.getTime()));
  let status = input.statusBefore;
  for (const flip of input.flips) {
    const at = Math.min(Math.max(flip.at.getTime(), cursor), now);
    if (at > cursor) segments.push({ from: cursor, to: at, status });
    cursor = at;
    status = flip.to;
  }
  if (now > cursor) segments.push({ from: cursor, to: now, status });

  return input.windows.map(({ from: windowFrom, to: windowTo }) => {
    const end = Math.min(windowTo.getTime(), now);
    const start = Math.max(windowFrom.getTime(), input.createdAt.getTime());
    if (start >= end) {
      return { from: windowFrom, to: windowTo, uptimePercent: null, downtimeSeconds: null, monitoredSeconds: 0, outages: null };
    }
    let downMs = 0;
    for (const s of segments) {
      if (s.status !== 'down') continue;
      const overlap = Math.min(s.to, end) - Math.max(s.from, start);
      if (overlap > 0) downMs += overlap;
    }
    const outages = input.flips.filter((f) => f.to === 'down' && f.at.getTime() >= windowFrom.getTime() && f.at.getTime() < windowTo.getTime()).length;
    const monitoredMs = end - start;
    return {
      from: windowFrom,
      to: windowTo,
      uptimePercent: round(((monitoredMs - downMs) / monitoredMs) * 100),
      downtimeSeconds: downMs / 1000,
      monitoredSeconds: monitoredMs / 1000,
      outages,
    };
  });
}
