/**
 * `npm run bench`: every benchmark under bench/, one after another (they measure the machine, so
 * never side by side), then one table of their headline figures (benchmark, figure, baseline,
 * ratio, goal, pass) written to bench/results.json with the machine it ran on. A benchmark hands
 * its figures over through `reportFigures` (bench-kit); one that reports none is listed by its exit
 * status. `npm run bench -- pings http` runs only those (file names without `.ts`). Each runs with
 * `--expose-gc`, so the memory benchmarks can measure what is still reachable, not only RSS.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BenchResults, type BenchRow, writeReadmeTable } from './bench-table.ts';

const root = path.resolve(import.meta.dirname, '..');
// Libraries, load generators and tools the benchmarks use, not benchmarks of their own: the load
// scripts (`npm run load`) and the profiler (`npm run bench:profile`) are run on their own.
const helpers = new Set([
  'bench-kit',
  'load',
  'raw-http-load',
  'sync-load',
  'fanout-clients',
  'aiops-world',
  'auth-world',
  'load-run',
  'load-paths',
  'load-requests',
  'request-path-profile',
  'cpu-profile',
]);
const wanted = process.argv.slice(2);
const benches = readdirSync(path.join(root, 'bench'))
  .filter((file) => file.endsWith('.ts') && !helpers.has(file.slice(0, -3)))
  .map((file) => file.slice(0, -3))
  .filter((name) => wanted.length === 0 || wanted.includes(name));

type Row = BenchRow;

const scratch = mkdtempSync(path.join(os.tmpdir(), 'itops-bench-'));
const rows: Row[] = [];
for (const name of benches) {
  const report = path.join(scratch, `${name}.jsonl`);
  writeFileSync(report, '');
  process.stdout.write(`\n=== ${name}\n`);
  const started = Date.now();
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', `bench/${name}.ts`], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, ITOPS_BENCH_REPORT: report },
    });
    child.on('close', (exit) => resolve(exit ?? 1));
  });
  const reported = readFileSync(report, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Row);
  rows.push(
    ...(reported.length > 0
      ? reported
      : [{ benchmark: name, figure: `exit status (${Math.round((Date.now() - started) / 1000)} s)`, value: code, pass: code === 0 }]),
  );
  if (code !== 0 && reported.length > 0) rows.push({ benchmark: name, figure: 'exit status', value: code, pass: false });
}
rmSync(scratch, { recursive: true, force: true });

const number = (n: number | undefined) => (n === undefined ? '' : Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(2));
const table = [
  ['benchmark', 'figure', 'value', 'baseline', 'ratio', 'goal', 'pass'],
  ...rows.map((r) => [
    r.benchmark,
    r.figure,
    number(r.value),
    r.baseline ?? '',
    number(r.ratio),
    r.goal ?? '',
    r.pass === undefined ? '' : r.pass ? 'yes' : 'NO',
  ]),
];
const widths = table[0].map((_, column) => Math.max(...table.map((row) => row[column].length)));
process.stdout.write(`\n${table.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ')).join('\n')}\n`);

const machine = {
  cpus: os.cpus().length,
  model: os.cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  platform: `${os.platform()} ${os.release()}`,
};
const results: BenchResults = { measuredAt: new Date().toISOString(), machine, rows };
writeFileSync(path.join(root, 'bench/results.json'), `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`\nwritten to bench/results.json (${machine.cpus} × ${machine.model})\n`);
// Only a run of every benchmark replaces the README's table: a partial run would drop rows from it.
if (wanted.length === 0) {
  writeReadmeTable(results);
  process.stdout.write('README.md: benchmark table rewritten\n');
}
process.exitCode = rows.some((r) => r.pass === false) ? 1 : 0;
