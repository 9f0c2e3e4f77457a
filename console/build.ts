/**
 * `npm run console:build`: builds the web console with Vite into console/dist, prints the size of
 * what a first visit downloads (every asset index.html names, gzip), and fails above the budget.
 * `--if-possible` (the `prepare` step of `npm install`) skips quietly where Vite is not installed,
 * as in a production install without dev dependencies.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export const budgetBytes = 200 * 1024;
const root = import.meta.dirname;

/** Builds the console and returns the gzip bytes of its first load, per file and in total. */
export async function buildConsole(options: { quiet?: boolean } = {}): Promise<{ files: { name: string; bytes: number; gzip: number }[]; totalGzip: number }> {
  const { build } = await import('vite');
  await build({ configFile: path.join(root, 'vite.config.ts'), logLevel: options.quiet ? 'error' : 'warn' });
  return firstLoadSize(path.join(root, 'dist'));
}

/** What index.html loads: its scripts and stylesheets (and itself), measured as a browser receives them. */
export function firstLoadSize(dist: string) {
  const html = readFileSync(path.join(dist, 'index.html'));
  const names = [...html.toString().matchAll(/(?:src|href)="\/console\/(assets\/[^"]+)"/g)].map((m) => m[1]);
  const files = [{ name: 'index.html', body: html }, ...names.map((name) => ({ name, body: readFileSync(path.join(dist, name)) }))].map(({ name, body }) => ({
    name,
    bytes: body.length,
    gzip: gzipSync(body, { level: 9 }).length,
  }));
  return { files, totalGzip: files.reduce((sum, f) => sum + f.gzip, 0) };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    await import('vite');
  } catch (error) {
    if (process.argv.includes('--if-possible')) {
      process.stdout.write('console: Vite is not installed (production install?); the console is not built\n');
      process.exit(0);
    }
    throw error;
  }
  const { files, totalGzip } = await buildConsole();
  for (const f of files) process.stdout.write(`console ${f.name.padEnd(40)} ${kb(f.bytes).padStart(10)}  gzip ${kb(f.gzip).padStart(9)}\n`);
  process.stdout.write(`console first load: ${kb(totalGzip)} gzip (budget ${kb(budgetBytes)})\n`);
  if (totalGzip > budgetBytes) {
    process.stderr.write(`console first load is over budget by ${kb(totalGzip - budgetBytes)}\n`);
    process.exit(1);
  }
}
