import { normalTail } from './normal-tail.ts';

/**
 * The watchdog's detector: a value is anomalous only when none of three cheap models explains it,
 * and how anomalous is judged against the series' own history of surprises.
 *
 * - level: an exponentially weighted location with a robust scale (residuals are clipped before
 *   they update it, so one spike does not inflate the scale that should make the next one stand out);
 * - daily profile: the same per hour of the day (24 bins), for seasonal series;
 * - last value: the distance from the previous value, for series that wander slowly.
 * The surprise of a point is the smallest of the three standardised residuals. Its short average is
 * compared with the long-run distribution of that average (the "anomaly likelihood" idea of HTM):
 * a series that is always jumpy stops alarming, a calm one alarms on its first jolt.
 *
 * Everything is O(1) per point and the state is ~70 numbers, so tens of thousands of series fit
 * in memory and a worker scores millions of points per second. Nothing looks ahead: the score of a
 * point uses only the state before it, then the point updates the state.
 */
export interface RobustSeasonalState {
  kind: 'robust_seasonal';
  n: number;
  level: number;
  scale: number;
  prev: number;
  diffScale: number;
  season: number[];
  seasonScale: number[];
  seasonCount: number[];
  min: number;
  max: number;
  /** Ring of the last `shortWindow` surprises and its sum. */
  recent: number[];
  recentSum: number;
  /** Long-run mean and variance of the short average of surprises. */
  avgMean: number;
  avgVar: number;
  /** Points left in the quiet period after an alarm. */
  quiet: number;
}

export const robustSeasonalParams = {
  levelAlpha: 0.2,
  scaleAlpha: 0.02,
  seasonAlpha: 0.1,
  clip: 4,
  shortWindow: 1,
  longAlpha: 0.002,
  warmup: 150,
  bins: 24,
  sdFloorRel: 0.1,
  sdFloor: 0.05,
  useDiff: 0,
  useSeason: 1,
  fireLevel: 0.8,
  quietPoints: 300,
  quietFactor: 0,
};

export function robustSeasonalState(): RobustSeasonalState {
  const p = robustSeasonalParams;
  return {
    kind: 'robust_seasonal',
    n: 0,
    level: 0,
    scale: 0,
    prev: 0,
    diffScale: 0,
    season: new Array(p.bins).fill(0),
    seasonScale: new Array(p.bins).fill(0),
    seasonCount: new Array(p.bins).fill(0),
    min: Number.POSITIVE_INFINITY,
    max: Number.NEGATIVE_INFINITY,
    recent: new Array(p.shortWindow).fill(0),
    recentSum: 0,
    avgMean: 0,
    avgVar: 0,
    quiet: 0,
  };
}

/** Residual standardised by a scale, with a floor tied to the range seen (flat series). */
function standardise(residual: number, scale: number, floor: number): number {
  return Math.abs(residual) / Math.max(scale * 1.2533, floor);
}

function track(scale: number, residual: number, alpha: number, clip: number): number {
  // Mean absolute deviation, clipped: the scale follows the bulk, not the outliers.
  const a = Math.abs(residual);
  const bounded = scale > 0 ? Math.min(a, clip * scale) : a;
  return scale + alpha * (bounded - scale);
}

export function robustSeasonalStep(state: RobustSeasonalState, tsMs: number, value: number): { score: number; z: number } {
  const p = robustSeasonalParams;
  const bin = Math.floor(((tsMs / 3_600_000) % 24) * (p.bins / 24)) % p.bins;
  if (state.n === 0) {
    state.level = value;
    state.prev = value;
    state.min = value;
    state.max = value;
    state.season.fill(value);
    state.n = 1;
    return { score: 0, z: 0 };
  }
  const floor = Math.max((state.max - state.min) * 0.01, Math.abs(state.level) * 1e-6, 1e-9);
  const rLevel = value - state.level;
  const rDiff = value - state.prev;
  const seasonal = state.seasonCount[bin] >= 3;
  const rSeason = value - state.season[bin];
  const zLevel = standardise(rLevel, state.scale, floor);
  const zDiff = standardise(rDiff, state.diffScale, floor);
  const zSeason = seasonal ? standardise(rSeason, state.seasonScale[bin], floor) : Number.POSITIVE_INFINITY;
  const surprise = Math.min(zLevel, p.useDiff ? zDiff : Number.POSITIVE_INFINITY, p.useSeason ? zSeason : Number.POSITIVE_INFINITY, 50);
  const signed = rLevel >= 0 ? surprise : -surprise;

  // Anomaly likelihood of the short average of surprises.
  const slot = state.n % p.shortWindow;
  state.recentSum += surprise - state.recent[slot];
  state.recent[slot] = surprise;
  const avg = state.recentSum / Math.min(state.n, p.shortWindow);
  let score = 0;
  if (state.n > p.warmup) {
    const sd = Math.sqrt(state.avgVar) + robustSeasonalParams.sdFloorRel * state.avgMean + robustSeasonalParams.sdFloor;
    const tail = normalTail((avg - state.avgMean) / sd);
    score = 1 - tail ** 0.1;
    if (state.quiet > 0) {
      state.quiet--;
      score *= p.quietFactor;
    } else if (score >= p.fireLevel) state.quiet = p.quietPoints;
  }
  const la = state.n < 1 / p.longAlpha ? 1 / state.n : p.longAlpha;
  const delta = avg - state.avgMean;
  state.avgMean += la * delta;
  state.avgVar = (1 - la) * (state.avgVar + la * delta * delta);

  // Update the models with the point (after scoring it).
  const learn = state.n < 1 / p.scaleAlpha ? 1 / (state.n + 1) : 0;
  state.scale = track(state.scale, rLevel, Math.max(p.scaleAlpha, learn), p.clip);
  state.diffScale = track(state.diffScale, rDiff, Math.max(p.scaleAlpha, learn), p.clip);
  const bounded = state.scale > 0 ? Math.max(-p.clip * state.scale, Math.min(p.clip * state.scale, rLevel)) : rLevel;
  state.level += Math.max(p.levelAlpha, learn) * bounded;
  state.seasonCount[bin] = Math.min(state.seasonCount[bin] + 1, 1_000_000);
  const sLearn = Math.max(p.seasonAlpha, 1 / state.seasonCount[bin]);
  state.seasonScale[bin] = track(state.seasonScale[bin], rSeason, sLearn, p.clip);
  state.season[bin] += sLearn * rSeason;
  state.prev = value;
  if (value < state.min) state.min = value;
  if (value > state.max) state.max = value;
  state.n++;
  return { score: Math.max(0, Math.min(1, score)), z: signed };
}
