import t, { type Test } from 'tap';
import {
  type AvailabilityInput,
  type ServiceStatus,
  type StatusTransition,
  computeAvailability,
  evaluateBudget,
  mergeWindows,
  periodRange,
  periodsBetween,
} from './sla-math.ts';

/** '2026-04-10T12:00' (UTC) → epoch ms. */
const at = (iso: string) => Date.parse(iso + 'Z');
const HOUR = 3_600_000;
const MINUTE = 60_000;

/** Asserts |actual − expected| ≤ tolerance; t.equal would make float noise look like a bug. */
function near(t: Test, actual: number | null, expected: number, tolerance: number, message: string) {
  t.ok(actual !== null && Math.abs(actual - expected) <= tolerance, `${message}: ${actual} ≈ ${expected}`);
}

/** The status in force at `when`, as the plugin's caller derives initialStatus for a range. */
function statusAt(transitions: readonly StatusTransition[], when: number): ServiceStatus | null {
  let status: ServiceStatus | null = null;
  for (const transition of transitions) if (transition.at <= when) status = transition.status;
  return status;
}

const april = { start: at('2026-04-01T00:00'), end: at('2026-05-01T00:00') };
/** 43-minute outage on 10 April, 12:00–12:43. */
const outage43: StatusTransition[] = [
  { at: at('2026-04-10T12:00'), status: 'DOWN' },
  { at: at('2026-04-10T12:43'), status: 'OPERATIONAL' },
];

t.test('a 43-minute outage in a 30-day month with a 2-hour window elsewhere', async (t) => {
  const result = computeAvailability({
    ...april,
    initialStatus: 'OPERATIONAL',
    transitions: outage43,
    windows: [{ start: at('2026-04-20T02:00'), end: at('2026-04-20T04:00') }],
  });
  // T = 30 d × 86,400 s = 2,592,000 s; M = 2 h = 7,200 s; D = 43 min × 60 = 2,580 s.
  t.equal(result.totalSeconds, 2_592_000);
  t.equal(result.excludedSeconds, 7_200);
  t.equal(result.downtimeSeconds, 2_580);
  // (2,592,000 − 7,200 − 2,580) / (2,592,000 − 7,200) = 2,582,220 / 2,584,800 = 0.99900185701…
  near(t, result.availability, (2_592_000 - 7_200 - 2_580) / (2_592_000 - 7_200), 1e-12, 'availability');
  near(t, result.availability, 0.999001857, 1e-9, 'availability, written out');
  t.same(result.incidents, [{ start: at('2026-04-10T12:00'), end: at('2026-04-10T12:43'), downtimeSeconds: 2_580 }]);
});

t.test('the same outage inside the window is excluded, not downtime', async (t) => {
  const result = computeAvailability({
    ...april,
    initialStatus: 'OPERATIONAL',
    transitions: outage43,
    windows: [{ start: at('2026-04-10T11:30'), end: at('2026-04-10T13:30') }],
  });
  // M = 2 h = 7,200 s; the outage 12:00–12:43 lies inside 11:30–13:30 → D = 0 → (T − M − 0)/(T − M) = 1.
  t.equal(result.excludedSeconds, 7_200);
  t.equal(result.downtimeSeconds, 0);
  t.equal(result.availability, 1);
  // Still listed, so a report can show it happened and why it did not count.
  t.same(result.incidents, [{ start: at('2026-04-10T12:00'), end: at('2026-04-10T12:43'), downtimeSeconds: 0 }]);
});

t.test('overlapping windows are merged, never excluding time twice', async (t) => {
  const day = { start: at('2026-04-02T00:00'), end: at('2026-04-03T00:00') };
  const result = computeAvailability({
    ...day,
    initialStatus: 'OPERATIONAL',
    // DOWN 02:30–05:00: 02:30–04:00 falls in the merged window, 04:00–05:00 counts.
    transitions: [
      { at: at('2026-04-02T02:30'), status: 'DOWN' },
      { at: at('2026-04-02T05:00'), status: 'OPERATIONAL' },
    ],
    // Given out of order on purpose.
    windows: [
      { start: at('2026-04-02T02:00'), end: at('2026-04-02T04:00') },
      { start: at('2026-04-02T01:00'), end: at('2026-04-02T03:00') },
    ],
  });
  // 01:00–03:00 ∪ 02:00–04:00 = 01:00–04:00 → M = 3 h = 10,800 s (not 4 h).
  t.equal(result.excludedSeconds, 10_800);
  // D = 05:00 − 04:00 = 1 h = 3,600 s.
  t.equal(result.downtimeSeconds, 3_600);
  // (86,400 − 10,800 − 3,600) / (86,400 − 10,800) = 72,000 / 75,600
  near(t, result.availability, (86_400 - 10_800 - 3_600) / (86_400 - 10_800), 1e-12, 'availability');
  t.same(result.incidents, [{ start: at('2026-04-02T02:30'), end: at('2026-04-02T05:00'), downtimeSeconds: 3_600 }]);
});

t.test('windows partly outside the range, touching, contained and still open', async (t) => {
  const day = { start: at('2026-04-02T00:00'), end: at('2026-04-03T00:00') };
  const windows = [
    { start: at('2026-04-01T23:00'), end: at('2026-04-02T00:30') }, // only 00:00–00:30 inside: 30 min
    { start: at('2026-04-02T06:00'), end: at('2026-04-02T07:00') }, // 1 h
    { start: at('2026-04-02T07:00'), end: at('2026-04-02T08:00') }, // touches the previous: +1 h
    { start: at('2026-04-02T06:15'), end: at('2026-04-02T06:45') }, // inside 06:00–07:00: +0
    { start: at('2026-04-02T23:00'), end: null }, // still open: runs to the range end, 1 h
    { start: at('2026-03-30T00:00'), end: at('2026-03-31T00:00') }, // wholly before: +0
  ];
  const result = computeAvailability({ ...day, initialStatus: 'OPERATIONAL', transitions: [], windows });
  // M = 30 min + 2 h + 1 h = 3.5 h = 12,600 s.
  t.equal(result.excludedSeconds, 12_600);
  t.equal(result.downtimeSeconds, 0);
  t.equal(result.availability, 1);
  t.same(mergeWindows(windows, day.start, day.end), [
    { start: at('2026-04-02T00:00'), end: at('2026-04-02T00:30') },
    { start: at('2026-04-02T06:00'), end: at('2026-04-02T08:00') },
    { start: at('2026-04-02T23:00'), end: at('2026-04-03T00:00') },
  ]);
});

t.test('one window covering several down spans excludes each of them', async (t) => {
  const hour = { start: at('2026-04-02T10:00'), end: at('2026-04-02T11:00') };
  const result = computeAvailability({
    ...hour,
    initialStatus: 'OPERATIONAL',
    transitions: [
      { at: at('2026-04-02T10:05'), status: 'DOWN' },
      { at: at('2026-04-02T10:10'), status: 'OPERATIONAL' },
      { at: at('2026-04-02T10:20'), status: 'DOWN' },
      { at: at('2026-04-02T10:40'), status: 'OPERATIONAL' },
    ],
    windows: [{ start: at('2026-04-02T10:00'), end: at('2026-04-02T10:30') }],
  });
  // Incident 1 (10:05–10:10) is all inside 10:00–10:30 → 0; incident 2 (10:20–10:40) → 10:30–10:40 = 600 s.
  t.same(
    result.incidents.map((i) => i.downtimeSeconds),
    [0, 600],
  );
  t.equal(result.downtimeSeconds, 600);
  // (3,600 − 1,800 − 600) / (3,600 − 1,800) = 1,200 / 1,800 = 2/3
  near(t, result.availability, 2 / 3, 1e-12, 'availability');
});

t.test('an outage across midnight and a month boundary splits into each period', async (t) => {
  const transitions: StatusTransition[] = [
    { at: at('2026-03-31T23:30'), status: 'DOWN' },
    { at: at('2026-04-01T00:20'), status: 'OPERATIONAL' },
  ];
  const from = at('2026-03-31T12:00');
  const now = at('2026-04-01T12:00');
  // Every range gets the whole transition list: the function ignores entries outside its range.
  const measure = (period: { start: number; end: number }) =>
    computeAvailability({
      start: period.start,
      end: Math.min(period.end, now),
      initialStatus: statusAt(transitions, period.start) ?? 'OPERATIONAL',
      transitions,
      windows: [],
    });

  const months = periodsBetween('MONTHLY', from, now);
  t.same(
    months.map((p) => p.key),
    ['2026-03', '2026-04'],
  );
  const [march, aprilSoFar] = months.map(measure);
  // March: 23:30 → 24:00 = 30 min = 1,800 s, still down when March ends → end null.
  t.equal(march.downtimeSeconds, 1_800);
  t.same(march.incidents, [{ start: at('2026-03-31T23:30'), end: null, downtimeSeconds: 1_800 }]);
  // 31 days × 86,400 = 2,678,400 s; (2,678,400 − 1,800) / 2,678,400
  near(t, march.availability, (2_678_400 - 1_800) / 2_678_400, 1e-12, 'March availability');
  // April: already DOWN at 00:00, up at 00:20 → 20 min = 1,200 s; T clipped to now = 12 h = 43,200 s.
  t.equal(aprilSoFar.totalSeconds, 43_200);
  t.equal(aprilSoFar.downtimeSeconds, 1_200);
  t.same(aprilSoFar.incidents, [{ start: at('2026-04-01T00:00'), end: at('2026-04-01T00:20'), downtimeSeconds: 1_200 }]);
  near(t, aprilSoFar.availability, (43_200 - 1_200) / 43_200, 1e-12, 'April availability so far');

  const days = periodsBetween('DAILY', from, now);
  t.same(
    days.map((p) => p.key),
    ['2026-03-31', '2026-04-01'],
  );
  t.same(
    days.map(measure).map((a) => a.downtimeSeconds),
    [1_800, 1_200],
  );
});

t.test('UNKNOWN counts as down; DEGRADED and MAINTENANCE outside a window do not', async (t) => {
  const base = at('2026-04-02T10:00');
  const result = computeAvailability({
    start: base,
    end: base + HOUR,
    initialStatus: 'OPERATIONAL',
    transitions: [
      { at: base + 10 * MINUTE, status: 'DEGRADED' }, // 10–20: up
      { at: base + 20 * MINUTE, status: 'UNKNOWN' }, // 20–30: agent silent → down
      { at: base + 30 * MINUTE, status: 'DOWN' }, // 30–35: down, same incident
      { at: base + 35 * MINUTE, status: 'MAINTENANCE' }, // 35–50: no window → up
      { at: base + 50 * MINUTE, status: 'OPERATIONAL' },
    ],
    windows: [],
  });
  // D = 10 min UNKNOWN + 5 min DOWN = 900 s; (3,600 − 0 − 900) / 3,600 = 0.75
  t.equal(result.downtimeSeconds, 900);
  t.equal(result.availability, 0.75);
  // UNKNOWN → DOWN back to back is one incident.
  t.same(result.incidents, [{ start: base + 20 * MINUTE, end: base + 35 * MINUTE, downtimeSeconds: 900 }]);
});

t.test('nothing known at the start counts as UNKNOWN, so as down', async (t) => {
  const base = at('2026-04-02T10:00');
  const result = computeAvailability({
    start: base,
    end: base + HOUR,
    initialStatus: null,
    transitions: [{ at: base + 10 * MINUTE, status: 'OPERATIONAL' }],
    windows: [],
  });
  // 10 min without data = 600 s down; (3,600 − 600) / 3,600 = 5/6
  t.equal(result.downtimeSeconds, 600);
  near(t, result.availability, 5 / 6, 1e-12, 'availability');
  t.same(result.incidents, [{ start: base, end: base + 10 * MINUTE, downtimeSeconds: 600 }]);

  const silent = computeAvailability({ start: base, end: base + HOUR, initialStatus: null, transitions: [], windows: [] });
  t.equal(silent.availability, 0, 'no data at all is an hour down');
  t.same(silent.incidents, [{ start: base, end: null, downtimeSeconds: 3_600 }]);
});

t.test('edge cases of the range and transitions', async (t) => {
  const base = at('2026-04-02T10:00');
  const input: AvailabilityInput = { start: base, end: base + HOUR, initialStatus: 'OPERATIONAL', transitions: [], windows: [] };

  const outside = computeAvailability({
    ...input,
    transitions: [
      { at: base - HOUR, status: 'DOWN' }, // before the range: initialStatus already says what is in force
      { at: base + HOUR, status: 'DOWN' }, // at the exclusive end: not part of the range
    ],
  });
  t.equal(outside.downtimeSeconds, 0, 'transitions outside the range are ignored');
  t.same(outside.incidents, []);

  const atStart = computeAvailability({ ...input, transitions: [{ at: base, status: 'DOWN' }] });
  t.equal(atStart.downtimeSeconds, 3_600, 'a transition at the start overrides initialStatus');

  const blip = computeAvailability({
    ...input,
    transitions: [
      { at: base + MINUTE, status: 'DOWN' },
      { at: base + MINUTE, status: 'OPERATIONAL' },
    ],
  });
  t.same(blip.incidents, [], 'a zero-length DOWN is no incident');

  const fractional = computeAvailability({
    ...input,
    transitions: [
      { at: base + MINUTE, status: 'DOWN' },
      { at: base + MINUTE + 1_500, status: 'OPERATIONAL' },
    ],
  });
  t.equal(fractional.downtimeSeconds, 1.5, 'sub-second downtime is kept, not rounded');

  const allExcluded = computeAvailability({ ...input, initialStatus: 'DOWN', windows: [{ start: base - HOUR, end: null }] });
  t.equal(allExcluded.availability, null, 'T − M = 0: no eligible time');
  t.equal(allExcluded.downtimeSeconds, 0);

  const empty = computeAvailability({ ...input, end: base - HOUR });
  t.same([empty.totalSeconds, empty.availability, empty.incidents], [0, null, []], 'an inverted range is empty');
});

t.test('evaluateBudget', async (t) => {
  const month = { periodStart: april.start, periodEnd: april.end, targetPercent: 99.9, excludedSeconds: 0 };
  // Budget = (1 − 99.9/100) × 2,592,000 s = 0.001 × 2,592,000 = 2,592 s (43.2 min).
  const tenPercent = april.start + 259_200_000; // 3 days = 10 % of 30 days

  t.test('half the budget burnt in the first 10 % of the month is at risk', async (t) => {
    const budget = evaluateBudget({ ...month, now: tenPercent, downtimeSeconds: 1_296 });
    // burn = 1,296 / 259,200 = 0.005 s/s; further = 0.005 × 2,332,800 = 11,664 s; remaining = 1,296 < 11,664
    t.equal(budget.status, 'at_risk');
    near(t, budget.budgetSeconds, 2_592, 1e-6, 'budget');
    near(t, budget.budgetRemainingSeconds, 1_296, 1e-6, 'remaining');
    near(t, budget.projectedDowntimeSeconds, 1_296 + 11_664, 1e-6, 'projected');
  });

  t.test('a little downtime at that rate is met', async (t) => {
    const budget = evaluateBudget({ ...month, now: tenPercent, downtimeSeconds: 100 });
    // burn = 100 / 259,200; further = 100 × 9 = 900 s; projected 1,000 s; remaining 2,492 ≥ 900
    t.equal(budget.status, 'met');
    near(t, budget.projectedDowntimeSeconds, 1_000, 1e-6, 'projected');
  });

  t.test('downtime over the budget is breached, even mid-period', async (t) => {
    t.equal(evaluateBudget({ ...month, now: tenPercent, downtimeSeconds: 2_593 }).status, 'breached');
    t.equal(evaluateBudget({ ...month, now: april.end, downtimeSeconds: 2_593 }).status, 'breached');
  });

  t.test('a finished period is never at risk', async (t) => {
    // Same 1,296 s that was at risk at 10 %: once the month is over, nothing more can be lost.
    const budget = evaluateBudget({ ...month, now: april.end + HOUR, downtimeSeconds: 1_296 });
    t.equal(budget.status, 'met');
    near(t, budget.projectedDowntimeSeconds, 1_296, 0, 'no projection');
    // Exactly the budget: 99.9 is not exact in binary, but 2,592 s of 2,592 s is met, not breached.
    t.equal(evaluateBudget({ ...month, now: april.end, downtimeSeconds: 2_592 }).status, 'met');
  });

  t.test('exclusions shrink the budget', async (t) => {
    // (2,592,000 − 7,200) × 0.001 = 2,584.8 s
    const budget = evaluateBudget({ ...month, now: april.end, excludedSeconds: 7_200, downtimeSeconds: 2_585 });
    near(t, budget.budgetSeconds, 2_584.8, 1e-6, 'budget');
    t.equal(budget.status, 'breached');
  });

  t.test('no eligible time elapsed yet projects nothing', async (t) => {
    const budget = evaluateBudget({ ...month, now: april.start, downtimeSeconds: 0 });
    t.same([budget.status, budget.projectedDowntimeSeconds], ['met', 0]);
  });

  t.test('a target outside 0..100 is refused', async (t) => {
    t.throws(() => evaluateBudget({ ...month, targetPercent: 100.1, now: tenPercent, downtimeSeconds: 0 }), RangeError);
  });
});

t.test('periodRange', async (t) => {
  const when = at('2026-03-31T23:57') + 30_000; // 23:57:30
  t.same(periodRange('SNAPSHOT', when), { start: at('2026-03-31T23:55'), end: at('2026-04-01T00:00'), key: '2026-03-31T23:55' });
  t.same(periodRange('HOURLY', when), { start: at('2026-03-31T23:00'), end: at('2026-04-01T00:00'), key: '2026-03-31T23' });
  t.same(periodRange('DAILY', when), { start: at('2026-03-31T00:00'), end: at('2026-04-01T00:00'), key: '2026-03-31' });
  t.same(periodRange('MONTHLY', when), { start: at('2026-03-01T00:00'), end: at('2026-04-01T00:00'), key: '2026-03' });
  t.equal(periodRange('SNAPSHOT', at('2026-04-01T00:05')).key, '2026-04-01T00:05', 'a boundary belongs to the period it starts');
  t.equal(periodRange('DAILY', at('2026-04-01T00:00') - 1).key, '2026-03-31', 'the last millisecond belongs to the period it ends');

  // Month lengths in seconds: 29 × 86,400 (Feb 2028, leap), 28 × 86,400 (Feb 2026), 31 × 86,400 (Dec 2026 → Jan 2027).
  const seconds = (p: { start: number; end: number }) => (p.end - p.start) / 1000;
  t.equal(seconds(periodRange('MONTHLY', at('2028-02-15T00:00'))), 2_505_600);
  t.equal(seconds(periodRange('MONTHLY', at('2026-02-15T00:00'))), 2_419_200);
  const december = periodRange('MONTHLY', at('2026-12-31T23:59'));
  t.same([seconds(december), december.end], [2_678_400, at('2027-01-01T00:00')]);
});

t.test('periodsBetween', async (t) => {
  t.same(
    periodsBetween('MONTHLY', at('2028-01-31T12:00'), at('2028-03-01T00:01')).map((p) => p.key),
    ['2028-01', '2028-02', '2028-03'],
  );
  t.same(
    periodsBetween('DAILY', at('2028-02-27T00:00'), at('2028-03-01T00:00')).map((p) => p.key),
    ['2028-02-27', '2028-02-28', '2028-02-29'],
    'the exclusive end does not open another day',
  );
  const buckets = periodsBetween('SNAPSHOT', at('2026-03-31T23:52'), at('2026-04-01T00:06'));
  t.same(
    buckets.map((p) => p.key),
    ['2026-03-31T23:50', '2026-03-31T23:55', '2026-04-01T00:00', '2026-04-01T00:05'],
  );
  t.ok(
    buckets.every((p, i) => p.end - p.start === 5 * MINUTE && (i === 0 || p.start === buckets[i - 1].end)),
    'buckets are 5 minutes, back to back',
  );
  t.equal(periodsBetween('HOURLY', at('2026-04-01T00:00'), at('2026-04-02T00:00')).length, 24);
  t.same(periodsBetween('HOURLY', at('2026-04-01T05:00'), at('2026-04-01T05:00')), [], 'an empty range has no periods');
});
