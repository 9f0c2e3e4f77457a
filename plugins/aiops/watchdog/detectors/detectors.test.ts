import t from 'tap';
import { type DetectorKind, scoreSeries } from './index.ts';
import { normalTail } from './normal-tail.ts';

/** Synthetic 5-minute series (NAB's most common step) with a deterministic noise source. */
const step = 300_000;
const start = Date.UTC(2026, 0, 5);
function noise(seed: number) {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    // roughly normal: the sum of four uniforms, centred, unit variance
    let sum = 0;
    for (let i = 0; i < 4; i++) {
      s = (s * 16807) % 2147483647;
      sum += s / 2147483647;
    }
    return (sum - 2) * Math.sqrt(3);
  };
}
function make(n: number, f: (i: number, rnd: () => number) => number, seed = 42) {
  const rnd = noise(seed);
  const ts = Array.from({ length: n }, (_, i) => start + i * step);
  const values = ts.map((_, i) => f(i, rnd));
  return { ts, values };
}
const threshold = 0.8;
function alarms(kind: DetectorKind, s: { ts: number[]; values: number[] }, from = 0) {
  const { scores } = scoreSeries(kind, s.ts, s.values);
  const out: number[] = [];
  for (let i = from; i < scores.length; i++) if (scores[i] >= threshold) out.push(i);
  return out;
}
const daily = (i: number) => 10 * Math.sin((2 * Math.PI * i) / 288);

t.test('Q(z) against known values', async (t) => {
  t.ok(Math.abs(normalTail(0) - 0.5) < 1e-7);
  t.ok(Math.abs(normalTail(1.959964) - 0.025) < 1e-7);
  t.ok(Math.abs(normalTail(-1.959964) - 0.975) < 1e-7);
  t.ok(Math.abs(normalTail(6) / 9.8659e-10 - 1) < 1e-4);
  t.ok(normalTail(30) > 0 && normalTail(30) < 1e-190, 'far tail stays positive');
});

t.test('clean data raises no alarm: noise, daily seasonality, slow trend, flat line', async (t) => {
  t.same(
    alarms(
      'robust_seasonal',
      make(3000, (_, r) => 50 + r()),
    ),
    [],
    'white noise',
  );
  t.same(
    alarms(
      'robust_seasonal',
      make(3000, (i, r) => 50 + daily(i) + 0.5 * r()),
    ),
    [],
    'daily cycle',
  );
  t.same(
    alarms(
      'robust_seasonal',
      make(3000, (i, r) => 50 + i * 0.01 + r()),
    ),
    [],
    'slow trend',
  );
  t.same(
    alarms(
      'robust_seasonal',
      make(3000, () => 42),
    ),
    [],
    'flat line',
  );
  let held = 50;
  let until = 0;
  t.same(
    alarms(
      'robust_seasonal',
      make(3000, (i, r) => {
        // A reading that holds its value for 1 to 40 points at a time: its plateaus are its normal.
        if (i >= until) {
          held = 50 + Math.round(r());
          until = i + 1 + Math.floor(20 * (r() + 2));
        }
        return held;
      }),
    ),
    [],
    'a stepwise series with its usual plateaus',
  );
});

t.test('a spike is found at once, and only once', async (t) => {
  const s = make(2000, (i, r) => 50 + r() + (i === 1500 ? 12 : 0));
  t.same(alarms('robust_seasonal', s), [1500]);
});

t.test('a level shift is found where it starts, and the new level does not keep alarming', async (t) => {
  const s = make(3000, (i, r) => 50 + r() + (i >= 2000 ? 8 : 0));
  const found = alarms('robust_seasonal', s);
  t.equal(found[0], 2000, 'at the first shifted point');
  t.ok(found.length <= 2, `alarms: ${found}`);
});

t.test('a flatline in a noisy series and a break of the daily cycle are found', async (t) => {
  const seasonal = make(4000, (i, r) => 50 + daily(i) + 0.5 * r() + (i >= 3000 && i < 3050 ? 15 : 0));
  const found = alarms('robust_seasonal', seasonal);
  t.ok(
    found.some((i) => i >= 3000 && i < 3010),
    `cycle break found: ${found}`,
  );
  t.notOk(
    found.some((i) => i < 3000),
    'nothing before it',
  );
});

t.test('a noisy series that freezes is found within a few points, once', async (t) => {
  let frozen = 0;
  const s = make(3000, (i, r) => {
    if (i < 2500) frozen = 50 + r();
    return frozen;
  });
  const found = alarms('robust_seasonal', s);
  t.ok(
    found.some((i) => i > 2500 && i <= 2505),
    `freeze found: ${found}`,
  );
  t.equal(found.length, 1, `one alarm: ${found}`);
});

t.test('a sudden change of trend is found', async (t) => {
  const s = make(3000, (i, r) => 50 + r() + (i >= 2000 ? (i - 2000) * 0.8 : 0));
  const found = alarms('robust_seasonal', s);
  t.ok(found.length >= 1 && found[0] >= 2000 && found[0] < 2030, `alarms: ${found}`);
});

t.test('never looks ahead: the scores of a prefix do not change when the series goes on', async (t) => {
  const s = make(1200, (i, r) => 50 + r() + (i === 900 ? 20 : 0));
  const whole = scoreSeries('robust_seasonal', s.ts, s.values).scores;
  const prefix = scoreSeries('robust_seasonal', s.ts.slice(0, 1000), s.values.slice(0, 1000)).scores;
  t.same(Array.from(prefix), Array.from(whole.slice(0, 1000)));
});

t.test('the windowed-Gaussian baseline flags the spike too (on its own scale)', async (t) => {
  const s = make(2000, (i, r) => 50 + r() + (i === 1500 ? 12 : 0));
  const { scores } = scoreSeries('windowed_gaussian', s.ts, s.values);
  t.ok(scores[1500] > 0.9999);
});
