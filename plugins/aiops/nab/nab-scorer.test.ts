import { existsSync } from 'node:fs';
import t from 'tap';
import { readNabDir, readWindows } from './nab-data.ts';
import { normalisedScores, type ProfileName, profiles, rowScores, scaledSigmoid, sweep } from './nab-scorer.ts';

const nab = '../shared/nab';
const fixtures = `${nab}/results-windowedGaussian`;

t.test('σ: a detection at a window’s left edge, far past a window, and just after one', async (t) => {
  t.equal(scaledSigmoid(3.5), -1);
  t.ok(Math.abs(scaledSigmoid(-1) - 0.9866) < 1e-4);
  t.ok(Math.abs(scaledSigmoid(0)) < 1e-12);
  t.ok(scaledSigmoid(0.1) < 0 && scaledSigmoid(0.1) > -0.25);
});

t.test('a hand-made file: earliest detection counts, FP cost, missed window, probation', async (t) => {
  const timestamps = Array.from({ length: 100 }, (_, i) => i * 60_000);
  const windows: [number, number][] = [[50 * 60_000, 59 * 60_000]];
  const scores = new Array(100).fill(0);
  scores[5] = 1; // probationary: ignored
  scores[52] = 1; // in the window, third row
  scores[55] = 1; // later in the window: does not count again
  scores[90] = 1; // 31 rows past a 10-row window: more than 3 widths, full FP cost
  const rows = rowScores({ name: 'x', timestamps, scores, windows }, 0.5, profiles.standard);
  t.equal(rows[5], 0);
  t.ok(Math.abs(rows[50] - scaledSigmoid(-8 / 10) / scaledSigmoid(-1)) < 1e-12, 'credited on the window’s first row');
  t.equal(rows[52], 0);
  t.equal(rows[55], 0);
  t.equal(rows[90], -0.11);
  const missed = rowScores({ name: 'x', timestamps, scores: new Array(100).fill(0), windows }, 0.5, profiles.reward_low_FN_rate);
  t.equal(missed[50], -2);
});

t.test(
  'matches NAB’s per-row S(t) for windowedGaussian on every row of the development split',
  { skip: !existsSync(fixtures) && 'NAB fixtures not present' },
  async (t) => {
    const windows = readWindows(`${nab}/labels/combined_windows.json`);
    const results = readNabDir(fixtures);
    const files = results.map((r) => {
      const name = r.name.replace(/(^|\/)windowedGaussian_/, '$1');
      return { name, timestamps: r.timestamps, scores: r.columns.anomaly_score, windows: windows[name] };
    });
    // NAB swept its threshold over all 58 files; on these 31 the standard and low-FP sweeps land on
    // the same one (1.0), which is also what NAB used for all three profiles.
    t.equal(sweep(files, profiles.standard).threshold, 1);
    t.equal(sweep(files, profiles.reward_low_FP_rate).threshold, 1);
    for (const name of Object.keys(profiles) as ProfileName[]) {
      let mismatches = 0;
      let rows = 0;
      files.forEach((f, i) => {
        const mine = rowScores(f, 1, profiles[name]);
        const theirs = results[i].columns[`S(t)_${name}`];
        for (let k = 0; k < mine.length; k++) {
          rows++;
          if (Math.abs(mine[k] - theirs[k]) > 1e-9) mismatches++;
        }
      });
      t.equal(mismatches, 0, `${name}: all ${rows} rows match`);
    }
    const normalised = normalisedScores(files);
    t.ok(
      normalised.standard.score > 30 && normalised.standard.score < 45,
      `windowedGaussian standard ${normalised.standard.score.toFixed(1)} (NAB: 39.6 on all 58 files)`,
    );
  },
);
