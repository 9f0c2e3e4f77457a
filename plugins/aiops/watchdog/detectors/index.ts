import { type RobustSeasonalState, robustSeasonalState, robustSeasonalStep } from './robust-seasonal.ts';
import { type WindowedGaussianState, windowedGaussianState, windowedGaussianStep } from './windowed-gaussian.ts';

/** The detectors by name: the watchdog runs `robust_seasonal`; `windowed_gaussian` is the baseline. */
export type DetectorKind = 'robust_seasonal' | 'windowed_gaussian';
export type DetectorState = RobustSeasonalState | WindowedGaussianState;

export function newState(kind: DetectorKind): DetectorState {
  return kind === 'robust_seasonal' ? robustSeasonalState() : windowedGaussianState();
}

/** Scores one point of a series and updates its state; never looks at later points. */
export function step(state: DetectorState, tsMs: number, value: number): { score: number; z: number } {
  return state.kind === 'robust_seasonal' ? robustSeasonalStep(state, tsMs, value) : windowedGaussianStep(state, value);
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
