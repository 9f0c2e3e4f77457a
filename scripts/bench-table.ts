/**
 * The README's benchmark table, from `bench/results.json`: `npm run bench` rewrites it after a full
 * run (every benchmark), and `npm run bench:readme` rewrites it from the results on disk. The table
 * sits between two markers in README.md, so nothing else there is touched.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchFigure } from '../bench/bench-kit.ts';

/** A figure as a benchmark reported it (`reportFigures`), with the benchmark's name. */
export type BenchRow = BenchFigure & { benchmark: string };

export interface BenchResults {
  measuredAt: string;
  machine: { cpus: number; model: string; memoryGiB: number; node: string; platform: string };
  rows: BenchRow[];
}

const root = path.resolve(import.meta.dirname, '..');
const start = '<!-- bench-table:start -->';
const end = '<!-- bench-table:end -->';

export const formatNumber = (n: number | undefined) => (n === undefined ? '' : Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en') : n.toFixed(2));

const cell = (text: string) => text.replaceAll('|', '\\|');

export function markdownTable(results: BenchResults): string {
  const { machine } = results;
  const lines = [
    `Measured ${results.measuredAt.slice(0, 10)} by \`npm run bench\` on ${machine.cpus} × ${machine.model}, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.platform} (nothing else running):`,
    '',
    '| benchmark | figure | value | baseline | ratio | goal | pass |',
    '|---|---|---:|---|---:|---|---|',
    ...results.rows.map((r) =>
      [
        r.benchmark,
        r.figure,
        formatNumber(r.value),
        r.baseline ?? '',
        formatNumber(r.ratio),
        r.goal ?? '',
        r.pass === undefined ? '' : r.pass ? 'yes' : '**no**',
      ]
        .map((c) => cell(String(c)))
        .join(' | ')
        .replace(/^/, '| ')
        .concat(' |'),
    ),
  ];
  return lines.join('\n');
}

export function writeReadmeTable(results: BenchResults, readme = path.join(root, 'README.md')): void {
  const text = readFileSync(readme, 'utf8');
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README.md has no ${start} … ${end} section for the benchmark table`);
  writeFileSync(readme, `${text.slice(0, from + start.length)}\n${markdownTable(results)}\n${text.slice(to)}`);
}

if (import.meta.filename === process.argv[1]) {
  writeReadmeTable(JSON.parse(readFileSync(path.join(root, 'bench/results.json'), 'utf8')) as BenchResults);
  process.stdout.write('README.md: benchmark table rewritten from bench/results.json\n');
}
