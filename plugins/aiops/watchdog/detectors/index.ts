import { isRobustSeasonalState, type RobustSeasonalState, robustSeasonalState, robustSeasonalStep } from './robust-seasonal.ts';
import { type WindowedGaussianState, windowedGaussianState, windowedGaussianStep } from './windowed-gaussian.ts';

/** The detectors by name: the watchdog runs `robust_seasonal`; `windowed_gaussian` is the baseline. */
export type DetectorKind = 'robust_seasonal' | 'windowed_gaussian';
export type DetectorState = RobustSeasonalState | WindowedGaussianState;

export function newState(kind: DetectorKind): DetectorState {
  return kind === 'robust_seasonal' ? robustSeasonalState() : windowedGaussianState();
}

/** Scores one point of a series and updates its state; never looks at later points. */
export function step(state: DetectorState, tsMs: number, value: number): { score: number; z: number } {
  return isRobustSeasonalState(state) ? robustSeasonalStep(state, tsMs, value) : windowedGaussianStep(state, value);
}

/** A state as stored (jsonb): the robust detector's array as plain numbers. */
export function stateToJson(state: DetectorState): unknown {
  return isRobustSeasonalState(state) ? Array.from(state) : state;
}

export function stateFromJson(json: unknown): DetectorState | null {
  if (Array.isArray(json)) {
    const state = robustSeasonalState();
    if (json.length !== state.length) return null; // a layout of another version: start afresh
    state.set(json as number[]);
    return state;
  }
  if (json && typeof json === 'object' && (json as { kind?: string }).kind === 'windowed_gaussian') return json as WindowedGaussianState;
  return null;
}

/** A whole series in order, as NAB runs a detector. */
export function scoreSeries(kind: DetectorKind, timestamps: ArrayLike<number>, values: ArrayLike<number>): { scores: Float64Array; z: Float64Array } {
  const state = newState(kind);
  const scores = new Float64Array(values.length);
  const z = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const r = step(state, timestamps[i], values[i]);
    scores[i] = r.score;
    z[i] = r.z;
  }
  return { scores, z };
}
