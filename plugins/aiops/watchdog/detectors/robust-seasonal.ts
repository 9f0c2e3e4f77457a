import { normalTail } from './normal-tail.ts';

/**
 * The watchdog's detector: a value is anomalous only when none of its models explains it, and how
 * anomalous is judged against the series' own history of surprises.
 *
 * - level: an exponentially weighted location with a robust scale (residuals are clipped before
 *   they update it, so one spike does not inflate the scale that should make the next one stand out);
 * - daily profile: the same per hour of the day (24 bins), for seasonal series;
 * - last value (off by default: on NAB it explained away too many real changes).
 * The surprise of a point is the smallest standardised residual, raised to the two-sided CUSUM of
 * the level residuals when that is larger (a drift the level follows point by point still adds up),
 * and to the CUSUM of the daily-profile residuals (a day that runs above its usual shape hour after
 * hour, which the fast level explains point by point, still adds up). Its average over the last
 * `shortWindow` points is compared with the long-run distribution of that average (the "anomaly
 * likelihood" idea of HTM): a series that is always jumpy stops alarming, a calm one alarms on its
 * first jolt. A series that stops moving is a surprise too: a run of repeated values is judged by
 * how often the series repeated its last value so far (a geometric run length), so a quantised or
 * mostly idle series does not alarm on its usual plateaus while a noisy one that freezes does. After an alarm the detector stays quiet for `quietPoints` points, or 5 % of the points
 * seen so far (at most `quietMaxPoints`): one incident, one alarm, and the flood of points that
 * follow a level shift is not a flood of anomalies.
 *
 * The state is one Float64Array of 107 numbers (856 bytes), so 100,000 series fit in 86 MB and
 * a worker copies states in and out as flat memory. Everything is O(1) per point. Nothing looks
 * ahead: a point is scored with the state before it, then updates the state.
 */
export const robustSeasonalParams = {
  levelAlpha: 0.2,
  scaleAlpha: 0.02,
  seasonAlpha: 0.1,
  clip: 4,
  shortWindow: 1,
  longAlpha: 0.002,
  warmup: 150,
  sdFloorRel: 0.02,
  sdFloor: 0.05,
  useDiff: 0,
  useSeason: 1,
  fireLevel: 0.8,
  quietPoints: 300,
  quietFactor: 0,
  cusumK: 2,
  cusumScale: 2,
  quietFraction: 0.05,
  quietMaxPoints: 1000,
  flatAlpha: 0.002,
  flatRateFloor: 0.001,
  flatMinRun: 3,
  flatWeight: 1,
  seasonCusumK: 2,
  seasonCusumScale: 0.5,
};

const bins = 24;
const maxShort = 16;
// Layout of the state array.
const N = 0;
const LEVEL = 1;
const SCALE = 2;
const PREV = 3;
const DIFF_SCALE = 4;
const MIN = 5;
const MAX = 6;
const RECENT_SUM = 7;
const AVG_MEAN = 8;
const AVG_VAR = 9;
const QUIET = 10;
const SEASON = 11;
const SEASON_SCALE = SEASON + bins;
const SEASON_COUNT = SEASON_SCALE + bins;
const RECENT = SEASON_COUNT + bins;
const CUSUM_UP = RECENT + maxShort;
const CUSUM_DOWN = CUSUM_UP + 1;
const RUN = CUSUM_DOWN + 1;
const REPEAT_RATE = RUN + 1;
const LONGEST_RUN = REPEAT_RATE + 1;
const SEASON_CUSUM_UP = LONGEST_RUN + 1;
const SEASON_CUSUM_DOWN = SEASON_CUSUM_UP + 1;
const RUN_REPORTED = SEASON_CUSUM_DOWN + 1;
export const robustSeasonalStateSize = RUN_REPORTED + 1;

export type RobustSeasonalState = Float64Array;

export function robustSeasonalState(): RobustSeasonalState {
  return new Float64Array(robustSeasonalStateSize);
}

export function isRobustSeasonalState(state: unknown): state is RobustSeasonalState {
  return state instanceof Float64Array && state.length === robustSeasonalStateSize;
}

/** Residual standardised by a mean absolute deviation (×1.2533 ≈ σ for normal data), floored. */
function standardise(residual: number, scale: number, floor: number): number {
  const s = scale * 1.2533;
  return Math.abs(residual) / (s > floor ? s : floor);
}

/** Mean absolute deviation, clipped: the scale follows the bulk, not the outliers. */
function track(scale: number, residual: number, alpha: number, clip: number): number {
  const a = Math.abs(residual);
  const bounded = scale > 0 && a > clip * scale ? clip * scale : a;
  return scale + alpha * (bounded - scale);
}

export function robustSeasonalStep(s: RobustSeasonalState, tsMs: number, value: number): { score: number; z: number } {
  const score = robustSeasonalScore(s, tsMs, value, zOut);
  return { score, z: zOut[0] };
}

const zOut = new Float64Array(1);

/**
 * `robustSeasonalStep` without an object per point: the score is returned and the signed z written
 * to `z[0]`. The worker's scoring loop calls this for millions of points, where the objects would
 * keep the collector busy on every thread of the pool.
 */
export function robustSeasonalScore(s: RobustSeasonalState, tsMs: number, value: number, z: Float64Array): number {
  const p = robustSeasonalParams;
  const bin = Math.floor((((tsMs / 3_600_000) % 24) + 24) % 24) % bins;
  const n = s[N];
  if (n === 0) {
    s[LEVEL] = value;
    s[PREV] = value;
    s[MIN] = value;
    s[MAX] = value;
    s.fill(value, SEASON, SEASON + bins);
    s[N] = 1;
    z[0] = 0;
    return 0;
  }
  const range = s[MAX] - s[MIN];
  const floor = Math.max(range * 0.01, Math.abs(s[LEVEL]) * 1e-6, 1e-9);
  const rLevel = value - s[LEVEL];
  const rDiff = value - s[PREV];
  const rSeason = value - s[SEASON + bin];
  let surprise = standardise(rLevel, s[SCALE], floor);
  if (p.useDiff) surprise = Math.min(surprise, standardise(rDiff, s[DIFF_SCALE], floor));
  if (p.useSeason && s[SEASON_COUNT + bin] >= 3) surprise = Math.min(surprise, standardise(rSeason, s[SEASON_SCALE + bin], floor));
  // A drift the models follow point by point (a ramp) still adds up in the cumulative sums.
  if (p.cusumScale > 0) {
    const zs = rLevel / Math.max(s[SCALE] * 1.2533, floor);
    const c = zs > 4 ? 4 : zs < -4 ? -4 : zs;
    s[CUSUM_UP] = Math.max(0, s[CUSUM_UP] + c - p.cusumK);
    s[CUSUM_DOWN] = Math.max(0, s[CUSUM_DOWN] - c - p.cusumK);
    const cusum = p.cusumScale * Math.max(s[CUSUM_UP], s[CUSUM_DOWN]);
    if (cusum > surprise) surprise = cusum;
  }
  // The same for the daily profile: a day that runs above (or below) its usual shape hour after hour.
  if (p.seasonCusumScale > 0 && s[SEASON_COUNT + bin] >= 3) {
    const zs = rSeason / Math.max(s[SEASON_SCALE + bin] * 1.2533, floor);
    const c = zs > 4 ? 4 : zs < -4 ? -4 : zs;
    s[SEASON_CUSUM_UP] = Math.max(0, s[SEASON_CUSUM_UP] + c - p.seasonCusumK);
    s[SEASON_CUSUM_DOWN] = Math.max(0, s[SEASON_CUSUM_DOWN] - c - p.seasonCusumK);
    const cusum = p.seasonCusumScale * Math.max(s[SEASON_CUSUM_UP], s[SEASON_CUSUM_DOWN]);
    if (cusum > surprise) surprise = cusum;
  }
  // A frozen series: a run of L repeats at repeat rate q has probability q^L, a probability in its
  // own right (not a deviation to compare with the series' history of jolts).
  const repeated = value === s[PREV];
  if (!repeated && s[RUN] > s[LONGEST_RUN]) s[LONGEST_RUN] = s[RUN];
  s[RUN] = repeated ? s[RUN] + 1 : 0;
  if (!repeated) s[RUN_REPORTED] = 0;
  let flatTail = 1;
  // One freeze, one alarm: a run that already alarmed stays quiet however long it lasts.
  if (s[RUN] >= p.flatMinRun && s[RUN] > s[LONGEST_RUN] && !s[RUN_REPORTED]) {
    const q = s[REPEAT_RATE] > p.flatRateFloor ? s[REPEAT_RATE] : p.flatRateFloor;
    flatTail = q ** s[RUN];
  }
  const ra = n < 1 / p.flatAlpha ? 1 / n : p.flatAlpha;
  s[REPEAT_RATE] += ra * ((repeated ? 1 : 0) - s[REPEAT_RATE]);
  if (surprise > 50) surprise = 50;
  z[0] = rLevel >= 0 ? surprise : -surprise;

  // Anomaly likelihood of the short average of surprises.
  const short = Math.min(Math.max(1, p.shortWindow), maxShort);
  const slot = RECENT + (n % short);
  s[RECENT_SUM] += surprise - s[slot];
  s[slot] = surprise;
  const avg = s[RECENT_SUM] / Math.min(n, short);
  let score = 0;
  if (n > p.warmup) {
    const sd = Math.sqrt(s[AVG_VAR]) + p.sdFloorRel * s[AVG_MEAN] + p.sdFloor;
    score = 1 - Math.min(normalTail((avg - s[AVG_MEAN]) / sd), flatTail * p.flatWeight) ** 0.1;
    if (s[QUIET] > 0) {
      s[QUIET]--;
      score *= p.quietFactor;
    } else if (score >= p.fireLevel) {
      s[QUIET] = Math.min(p.quietMaxPoints, Math.max(p.quietPoints, Math.round(p.quietFraction * n)));
      if (s[RUN] > 0) s[RUN_REPORTED] = 1;
    }
  }
  const la = n < 1 / p.longAlpha ? 1 / n : p.longAlpha;
  const delta = avg - s[AVG_MEAN];
  s[AVG_MEAN] += la * delta;
  s[AVG_VAR] = (1 - la) * (s[AVG_VAR] + la * delta * delta);

  // Learn from the point, after scoring it.
  const learn = n < 1 / p.scaleAlpha ? 1 / (n + 1) : 0;
  const alpha = p.scaleAlpha > learn ? p.scaleAlpha : learn;
  s[SCALE] = track(s[SCALE], rLevel, alpha, p.clip);
  s[DIFF_SCALE] = track(s[DIFF_SCALE], rDiff, alpha, p.clip);
  const bound = p.clip * s[SCALE];
  const bounded = s[SCALE] > 0 ? (rLevel > bound ? bound : rLevel < -bound ? -bound : rLevel) : rLevel;
  s[LEVEL] += (p.levelAlpha > learn ? p.levelAlpha : learn) * bounded;
  const count = Math.min(s[SEASON_COUNT + bin] + 1, 1_000_000);
  s[SEASON_COUNT + bin] = count;
  const sLearn = p.seasonAlpha > 1 / count ? p.seasonAlpha : 1 / count;
  s[SEASON_SCALE + bin] = track(s[SEASON_SCALE + bin], rSeason, sLearn, p.clip);
  s[SEASON + bin] += sLearn * rSeason;
  s[PREV] = value;
  if (value < s[MIN]) s[MIN] = value;
  if (value > s[MAX]) s[MAX] = value;
  s[N] = n + 1;
  return score < 0 ? 0 : score > 1 ? 1 : score;
}
