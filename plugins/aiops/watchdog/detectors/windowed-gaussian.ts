import { normalTail } from './normal-tail.ts';

/**
 * The baseline: NAB's windowed Gaussian. Mean and deviation of the last `size` values (refreshed
 * every `step` values); a value's score is how unlikely a deviation that large is, both sides.
 * Kept as the yardstick the better detector is measured against; it holds up to `size` values
 * per series, so the watchdog does not run it in production.
 */
export interface WindowedGaussianState {
  kind: 'windowed_gaussian';
  window: number[];
  buffer: number[];
  mean: number;
  std: number;
}

export const windowedGaussianDefaults = { size: 6400, step: 100 };

export function windowedGaussianState(): WindowedGaussianState {
  return { kind: 'windowed_gaussian', window: [], buffer: [], mean: 0, std: 1 };
}

function refresh(state: WindowedGaussianState): void {
  const n = state.window.length;
  let sum = 0;
  for (const v of state.window) sum += v;
  const mean = sum / n;
  let sq = 0;
  for (const v of state.window) sq += (v - mean) * (v - mean);
  state.mean = mean;
  state.std = n > 1 ? Math.sqrt(sq / n) : 0;
  if (state.std === 0) state.std = 0.000001;
}

export function windowedGaussianStep(state: WindowedGaussianState, value: number, size = windowedGaussianDefaults.size, step = windowedGaussianDefaults.step) {
  let score = 0;
  let z = 0;
  if (state.window.length > 0) {
    z = (value - state.mean) / state.std;
    score = 1 - 2 * normalTail(Math.abs(z));
  }
  if (state.window.length < size) {
    state.window.push(value);
    refresh(state);
  } else {
    state.buffer.push(value);
    if (state.buffer.length === step) {
      state.window = state.window.slice(step).concat(state.buffer);
      state.buffer = [];
      refresh(state);
    }
  }
  return { score: Math.max(0, score), z };
}
