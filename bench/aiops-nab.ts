/**
 * `npm run nab -- <data dir> <labels file>`: runs the watchdog's production detector
 * (plugins/aiops/watchdog/detectors, the functions the worker task calls) and the windowed-Gaussian
 * baseline over every CSV of a NAB data folder that the labels file names, and prints NAB's
 * normalised standard / reward_low_FP_rate / reward_low_FN_rate scores of both (the threshold swept
 * per profile over all files, as NAB does; scorer: plugins/aiops/nab/nab-scorer.ts).
 * Defaults: ../shared/nab/data and ../shared/nab/labels/combined_windows.json.
 */
import { runNab } from '../plugins/aiops/nab/nab-run.ts';
import { reportFigures } from './bench-kit.ts';

const [dataDir = '../shared/nab/data', labelsFile = '../shared/nab/labels/combined_windows.json'] = process.argv.slice(2);
const rows: string[][] = [];
for (const kind of ['windowed_gaussian', 'robust_seasonal'] as const) {
  const started = Date.now();
  const result = runNab(dataDir, labelsFile, kind);
  const { standard, reward_low_FP_rate: lowFp, reward_low_FN_rate: lowFn } = result.scores;
  rows.push([
    kind === 'robust_seasonal' ? 'robust_seasonal (watchdog)' : 'windowed_gaussian (baseline)',
    standard.score.toFixed(1),
    lowFp.score.toFixed(1),
    lowFn.score.toFixed(1),
    standard.threshold.toFixed(4),
    `${result.files} files, ${result.rows.toLocaleString('en')} rows, ${((Date.now() - started) / 1000).toFixed(1)} s`,
  ]);
}
console.log(`NAB scores on ${dataDir}`);
console.log(['detector', 'standard', 'low FP', 'low FN', 'threshold', ''].map((h, i) => h.padEnd(i === 0 ? 30 : 10)).join(''));
for (const r of rows) console.log(r.map((c, i) => c.padEnd(i === 0 ? 30 : 10)).join(''));
const [base, ours] = rows.map((r) => Number(r[1]));
console.log(`standard score: ${ours} vs ${base} for the baseline (${(ours - base).toFixed(1)} points)`);
reportFigures('aiops-nab', [
  { figure: 'NAB standard score (watchdog detector)', value: ours, baseline: 'windowed Gaussian', ratio: ours / base, goal: '>= 60', pass: ours >= 60 },
]);
