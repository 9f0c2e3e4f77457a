import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** NAB timestamps (`2014-04-01 00:00:00[.000000]`) are UTC. */
export function parseNabTime(text: string): number {
  return Date.parse(`${text.trim().slice(0, 19).replace(' ', 'T')}Z`);
}

export interface NabSeries {
  /** Path relative to the data folder, as the labels file names it (`realTraffic/speed_6005.csv`). */
  name: string;
  timestamps: number[];
  values: number[];
  /** Further numeric columns by header (results files carry anomaly_score and S(t) columns). */
  columns: Record<string, number[]>;
}

export function readNabCsv(path: string, name: string): NabSeries {
  const lines = readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  const header = lines[0].split(',');
  const columns: Record<string, number[]> = {};
  for (const h of header.slice(1)) columns[h] = [];
  const timestamps: number[] = [];
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    timestamps.push(parseNabTime(cells[0]));
    header.slice(1).forEach((h, i) => {
      columns[h].push(Number(cells[i + 1]));
    });
  }
  return { name, timestamps, values: columns.value ?? [], columns };
}

/** Every CSV under `dir`, sorted by name. */
export function listCsv(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listCsv(path));
    else if (entry.name.endsWith('.csv')) out.push(path);
  }
  return out.sort();
}

export function readNabDir(dir: string): NabSeries[] {
  return listCsv(dir).map((path) => readNabCsv(path, relative(dir, path)));
}

/** `combined_windows.json`: file name → windows as epoch-ms pairs. */
export function readWindows(path: string): Record<string, [number, number][]> {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, [string, string][]>;
  const out: Record<string, [number, number][]> = {};
  for (const [name, windows] of Object.entries(raw)) out[name] = windows.map(([a, b]) => [parseNabTime(a), parseNabTime(b)]);
  return out;
}
