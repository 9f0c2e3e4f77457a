/**
 * `npm run console:build`: builds the web console with Vite into console/dist, prints the size of
 * what a first visit downloads (every asset index.html names, gzip), and fails above the budget.
 * `--if-possible` (the `prepare` step of `npm install`) skips quietly where Vite is not installed,
 * as in a production install without dev dependencies.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export const budgetBytes = 200 * 1024;
const root = import.meta.dirname;

type FirstLoad = { files: { name: string; bytes: number; gzip: number }[]; totalGzip: number };
const dist = path.join(root, 'dist');

/**
 * Builds the console into console/dist (or `outDir`) and returns the gzip bytes of its first load,
 * per file and in total. The production build passes its own folder: rebuilding console/dist in
 * place empties it for a moment, and a server of a test running beside it answered a console
 * asset with 404 then.
 */
export async function buildConsole(options: { quiet?: boolean; outDir?: string } = {}): Promise<FirstLoad> {
  const outDir = options.outDir ?? dist;
  await viteBuild(outDir, options.quiet === true);
  return firstLoadSize(outDir);
}

/** Vite's build of the console into `outDir`, emptied first. */
async function viteBuild(outDir: string, quiet: boolean): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: path.join(root, 'vite.config.ts'), logLevel: quiet ? 'error' : 'warn', build: { outDir, emptyOutDir: true } });
}

/** The newest modification time under the console's sources. */
function newestSource(): number {
  let newest = 0;
  const visit = (entry: string) => {
    const stat = statSync(entry);
    if (stat.isDirectory()) for (const name of readdirSync(entry)) visit(path.join(entry, name));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const entry of ['src', 'index.html', 'vite.config.ts']) visit(path.join(root, entry));
  return newest;
}

/**
 * For tests, which run in parallel and may each need the console: builds it only when console/dist
 * is missing or older than its sources, into a folder of this process's own, then swaps it in, so a
 * server of another test never reads a half-written build.
 */
export async function ensureConsoleBuilt(): Promise<FirstLoad> {
  const index = path.join(dist, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newestSource()) return firstLoadSize(dist);
  const fresh = path.join(root, `.dist-${process.pid}`);
  await viteBuild(fresh, true);
  const old = path.join(root, `.dist-old-${process.pid}`);
  if (existsSync(dist)) renameSync(dist, old);
  try {
    renameSync(fresh, dist);
  } catch {
    // Another test swapped its build in first: the same sources, so use that one.
    rmSync(fresh, { recursive: true, force: true });
  }
  rmSync(old, { recursive: true, force: true });
  return firstLoadSize(dist);
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
