import { type DetectorKind, type DetectorState, newState, step } from './detectors/index.ts';

/**
 * Worker task `aiops.score`: runs the detector over a chunk of series, each from its saved state,
 * and hands back the new states and the points that crossed the threshold. A pure function of its
 * input (no database), so the pool runs chunks side by side.
 */
export interface ScoreSeriesInput {
  key: string;
  state: DetectorState | null;
  ts: Float64Array;
  values: Float64Array;
}

export interface ScoreInput {
  kind: DetectorKind;
  threshold: number;
  series: ScoreSeriesInput[];
}

export interface ScoreSeriesOutput {
  key: string;
  state: DetectorState;
  /** Points at or above the threshold: index into the input arrays, score, z. */
  hits: { index: number; score: number; z: number }[];
  maxScore: number;
}

export interface ScoreOutput {
  points: number;
  series: ScoreSeriesOutput[];
}

export default function score(input: ScoreInput): ScoreOutput {
  let points = 0;
  const series = input.series.map((s) => {
    const state = s.state ?? newState(input.kind);
    const hits: ScoreSeriesOutput['hits'] = [];
    let maxScore = 0;
    for (let i = 0; i < s.values.length; i++) {
      const r = step(state, s.ts[i], s.values[i]);
      if (r.score > maxScore) maxScore = r.score;
      if (r.score >= input.threshold) hits.push({ index: i, score: r.score, z: r.z });
    }
    points += s.values.length;
    return { key: s.key, state, hits, maxScore };
  });
  return { points, series };
}
