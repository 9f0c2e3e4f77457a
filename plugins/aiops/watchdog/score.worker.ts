import { type RobustSeasonalState, robustSeasonalScore, robustSeasonalStateSize } from './detectors/robust-seasonal.ts';

/**
 * Worker task `aiops.score`: runs the watchdog's detector over a chunk of series, each from its
 * saved state, and hands back the new states and the points that crossed the threshold. A pure
 * function of its input (no database), so the pool runs chunks side by side.
 *
 * The chunk is packed into a few flat typed arrays (all timestamps, all values, all states end to
 * end, with offsets) rather than an object per series: copying a chunk to a thread is then a few
 * memcpy calls, so the thread that hands out the work does not become the bottleneck.
 */
export interface ScoreInput {
  threshold: number;
  /** Series i has points offsets[i] … offsets[i+1]−1. */
  offsets: Int32Array;
  ts: Float64Array;
  values: Float64Array;
  /** Series i's state at i·stateSize; `fresh[i] = 1` for a series seen for the first time. */
  states: Float64Array;
  fresh: Uint8Array;
}

export interface ScoreHit {
  series: number;
  index: number;
  score: number;
  z: number;
}

export interface ScoreOutput {
  points: number;
  states: Float64Array;
  hits: ScoreHit[];
}

export const stateSize = robustSeasonalStateSize;

export default function score(input: ScoreInput): ScoreOutput {
  const count = input.offsets.length - 1;
  const hits: ScoreHit[] = [];
  const z = new Float64Array(1);
  for (let i = 0; i < count; i++) {
    const state: RobustSeasonalState = input.states.subarray(i * stateSize, (i + 1) * stateSize);
    if (input.fresh[i]) state.fill(0);
    for (let k = input.offsets[i]; k < input.offsets[i + 1]; k++) {
      const score = robustSeasonalScore(state, input.ts[k], input.values[k], z);
      if (score >= input.threshold) hits.push({ series: i, index: k - input.offsets[i], score, z: z[0] });
    }
  }
  return { points: input.values.length, states: input.states, hits };
}

/**
 * A round's series cut into chunks for the pool, whole and in order: about 32, so that the thread
 * that takes the last one keeps the others waiting for at most a thirty-second of the round (the
 * four chunks of before could leave one thread of two idle for a quarter of it), and at least
 * 5,000 points each, so a small round stays a few cheap tasks.
 */
export function scoringChunks<S extends { values: ArrayLike<number> }>(series: S[]): S[][] {
  const total = series.reduce((n, s) => n + s.values.length, 0);
  const target = Math.max(5000, Math.ceil(total / 32));
  const chunks: S[][] = [];
  let current: S[] = [];
  let size = 0;
  for (const s of series) {
    current.push(s);
    size += s.values.length;
    if (size >= target) {
      chunks.push(current);
      current = [];
      size = 0;
    }
  }
  if (current.length) chunks.push(current);
  return chunks;
}

/** Packs series (timestamps, values, saved state or null) into one task input. */
export function packChunk(series: { ts: ArrayLike<number>; values: ArrayLike<number>; state: Float64Array | null }[], threshold: number): ScoreInput {
  const offsets = new Int32Array(series.length + 1);
  for (let i = 0; i < series.length; i++) offsets[i + 1] = offsets[i] + series[i].values.length;
  const ts = new Float64Array(offsets[series.length]);
  const values = new Float64Array(offsets[series.length]);
  const states = new Float64Array(series.length * stateSize);
  const fresh = new Uint8Array(series.length);
  series.forEach((s, i) => {
    ts.set(s.ts, offsets[i]);
    values.set(s.values, offsets[i]);
    if (s.state) states.set(s.state, i * stateSize);
    else fresh[i] = 1;
  });
  return { threshold, offsets, ts, values, states, fresh };
}
