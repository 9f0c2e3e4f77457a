/**
 * NAB's scoring rules (numenta/NAB `nab/sweeper.py`, `runner.py`, `config/profiles.json`), written
 * from their description in ../shared/nab/README.md and proven against the per-row `S(t)` columns
 * NAB wrote for its windowedGaussian detector (nab-scorer.test.ts).
 */

export interface CostProfile {
  tp: number;
  fn: number;
  fp: number;
}

export const profiles = {
  standard: { tp: 1, fn: 1, fp: 0.11 },
  reward_low_FP_rate: { tp: 1, fn: 1, fp: 0.22 },
  reward_low_FN_rate: { tp: 1, fn: 2, fp: 0.11 },
} satisfies Record<string, CostProfile>;
export type ProfileName = keyof typeof profiles;

/** One data file: its timestamps (epoch ms), the detector's scores and its labelled windows. */
export interface ScoredFile {
  name: string;
  timestamps: number[];
  scores: number[];
  windows: [number, number][];
}

/** σ(y) = 2/(1+e^(5y)) − 1, and −1 for a detection more than 3 window widths past a window. */
export function scaledSigmoid(position: number): number {
  if (position > 3) return -1;
  return 2 / (1 + Math.exp(5 * position)) - 1;
}

export function probationaryLength(rows: number): number {
  return Math.min(Math.floor(0.15 * rows), 750);
}

/** Per row: the window it lies in (or -1) and its unweighted score if it were a detection. */
export interface RowLabel {
  window: Int32Array;
  weight: Float64Array;
  /** Index of each window's first row. */
  windowStarts: number[];
}

export function labelRows(timestamps: number[], windows: [number, number][]): RowLabel {
  const n = timestamps.length;
  const window = new Int32Array(n).fill(-1);
  const weight = new Float64Array(n);
  const bounds = windows.map(([start, end]) => {
    let first = -1;
    let last = -1;
    for (let i = 0; i < n; i++) {
      if (timestamps[i] >= start && timestamps[i] <= end) {
        if (first < 0) first = i;
        last = i;
      }
    }
    return { first, last };
  });
  let prevRight = -1;
  let prevWidth = 0;
  let w = 0;
  for (let i = 0; i < n; i++) {
    while (w < bounds.length && bounds[w].last >= 0 && i > bounds[w].last) {
      prevRight = bounds[w].last;
      prevWidth = bounds[w].last - bounds[w].first + 1;
      w++;
    }
    const b = bounds[w];
    if (b && b.first >= 0 && i >= b.first && i <= b.last) {
      const width = b.last - b.first + 1;
      window[i] = w;
      // Scaled so that a detection on the window's first row earns exactly A_TP.
      weight[i] = scaledSigmoid(-(b.last - i + 1) / width) / scaledSigmoid(-1);
    } else if (prevRight >= 0 && prevWidth > 1) {
      weight[i] = scaledSigmoid(Math.abs(prevRight - i) / (prevWidth - 1));
    } else {
      weight[i] = -1;
    }
  }
  return { window, weight, windowStarts: bounds.map((b) => b.first) };
}

/**
 * Per-row scores at one threshold, as NAB writes them in its results files: the earliest detection
 * of each window earns A_TP·σ/σ(−1), written on the window's first row as NAB does; a detection
 * outside windows costs A_FP·σ (σ ≤ 0 there); a window without detection costs −A_FN on its first
 * row; the probationary rows score nothing.
 */
export function rowScores(file: ScoredFile, threshold: number, profile: CostProfile): Float64Array {
  const labels = labelRows(file.timestamps, file.windows);
  const out = new Float64Array(file.scores.length);
  const probation = probationaryLength(file.scores.length);
  const detected = new Map<number, number>();
  for (let i = probation; i < file.scores.length; i++) {
    if (!(file.scores[i] >= threshold)) continue;
    const w = labels.window[i];
    if (w < 0) out[i] = labels.weight[i] * profile.fp;
    else if (!detected.has(w)) detected.set(w, labels.weight[i] * profile.tp);
  }
  labels.windowStarts.forEach((start, w) => {
    if (start >= 0) out[start] = detected.get(w) ?? -profile.fn;
  });
  return out;
}

interface Candidate {
  score: number;
  file: number;
  row: number;
}

/**
 * The threshold sweep: every distinct score is a candidate threshold, and the one with the highest
 * total over all files wins (NAB optimises one threshold per detector and profile). Lowering the
 * threshold only adds detections, so one pass over the rows sorted by score gives every total.
 */
export function sweep(files: ScoredFile[], profile: CostProfile): { threshold: number; score: number } {
  const labels = files.map((f) => labelRows(f.timestamps, f.windows));
  const candidates: Candidate[] = [];
  let total = 0;
  files.forEach((f, fi) => {
    total -= labels[fi].windowStarts.filter((s) => s >= 0).length * profile.fn;
    for (let i = probationaryLength(f.scores.length); i < f.scores.length; i++) candidates.push({ score: f.scores[i], file: fi, row: i });
  });
  candidates.sort((a, b) => b.score - a.score);
  const best = new Map<string, number>();
  let bestTotal = total;
  let bestThreshold = 1.1;
  for (let k = 0; k < candidates.length; k++) {
    const c = candidates[k];
    const label = labels[c.file];
    const w = label.window[c.row];
    if (w < 0) total += label.weight[c.row] * profile.fp;
    else {
      const key = `${c.file}:${w}`;
      const previous = best.get(key);
      const value = label.weight[c.row] * profile.tp;
      if (previous === undefined) {
        total += value + profile.fn;
        best.set(key, value);
      } else if (value > previous) {
        total += value - previous;
        best.set(key, value);
      }
    }
    // A threshold includes every row with this score: record only at the last of equal scores.
    if (k + 1 === candidates.length || candidates[k + 1].score !== c.score) {
      if (total > bestTotal) {
        bestTotal = total;
        bestThreshold = c.score;
      }
    }
  }
  return { threshold: bestThreshold, score: bestTotal };
}

/** The raw total of the detector that never fires, and of the one that fires on each window's first row. */
export function nullAndPerfect(files: ScoredFile[], profile: CostProfile): { nullScore: number; perfect: number } {
  let nullScore = 0;
  let perfect = 0;
  for (const f of files) {
    const labels = labelRows(f.timestamps, f.windows);
    for (const start of labels.windowStarts) {
      if (start < 0) continue;
      nullScore -= profile.fn;
      perfect += labels.weight[start] * profile.tp;
    }
  }
  return { nullScore, perfect };
}

/** 100 · (S − S_null) / (S_perfect − S_null) at the swept threshold, per profile. */
export function normalisedScores(files: ScoredFile[]): Record<ProfileName, { score: number; threshold: number; raw: number }> {
  const result = {} as Record<ProfileName, { score: number; threshold: number; raw: number }>;
  for (const [name, profile] of Object.entries(profiles) as [ProfileName, CostProfile][]) {
    const { threshold, score } = sweep(files, profile);
    const { nullScore, perfect } = nullAndPerfect(files, profile);
    result[name] = { score: (100 * (score - nullScore)) / (perfect - nullScore), threshold, raw: score };
  }
  return result;
}
