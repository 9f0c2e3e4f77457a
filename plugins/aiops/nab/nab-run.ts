import { type DetectorKind, scoreSeries } from '../watchdog/detectors/index.ts';
import { readNabDir, readWindows } from './nab-data.ts';
import { normalisedScores, type ScoredFile } from './nab-scorer.ts';

/** Runs a production detector over every file of a NAB data folder and scores it with NAB's rules. */
export function runNab(dataDir: string, labelsFile: string, kind: DetectorKind) {
  const windows = readWindows(labelsFile);
  const series = readNabDir(dataDir).filter((s) => windows[s.name] !== undefined);
  const files: ScoredFile[] = series.map((s) => ({
    name: s.name,
    timestamps: s.timestamps,
    scores: Array.from(scoreSeries(kind, s.timestamps, s.values).scores),
    windows: windows[s.name],
  }));
  return { files: files.length, rows: files.reduce((n, f) => n + f.scores.length, 0), scores: normalisedScores(files) };
}
