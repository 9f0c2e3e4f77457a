/**
 * `npm run build`: the production build. TypeScript is compiled to JavaScript under `dist/` (the
 * relative `.ts` imports rewritten to `.js`), and the files the code reads at run time (contract
 * fragments, SDL, migrations, the docs page's assets) are copied beside it in the same layout, so
 * `node dist/core/main.js` (`npm run start:prod`) runs with neither tsx nor a compiler. The web
 * console is built too (console/build.ts), within its size budget, into dist/console/dist.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
// `--out <dir>` builds elsewhere (inside the repository, so the build still finds node_modules).
const outArg = process.argv.indexOf('--out');
const out = path.resolve(root, outArg > 0 ? process.argv[outArg + 1] : 'dist');
const sources = ['core', 'plugins', 'migrations', 'graphql', 'openapi'];
// Read at run time by path; everything else under the sources is code, tests or generated output.
const assets = /\.(ya?ml|graphql|sql|css|js|html|svg)$/;
const skipped = /(^|\/)(node_modules|core\/testing)(\/|$)|\.test\.ts$|\.testkit\.ts$/;

rmSync(out, { recursive: true, force: true });
// The compiler's module itself, not its extensionless bin: a test runner's require hooks, passed on
// to children, would load the bin as CommonJS and fail on its ESM.
const tsc = path.join(root, 'node_modules/typescript/lib/tsc.js');
const compiled = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', out], { cwd: root, stdio: 'inherit' });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

let copied = 0;
const copyAssets = (dir: string) => {
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const relative = path.join(dir, entry.name);
    if (skipped.test(relative)) continue;
    if (entry.isDirectory()) copyAssets(relative);
    else if (assets.test(entry.name) && !relative.startsWith(`openapi${path.sep}openapi.bundled`)) {
      mkdirSync(path.join(out, dir), { recursive: true });
      cpSync(path.join(root, relative), path.join(out, relative));
      copied++;
    }
  }
};
for (const dir of sources) copyAssets(dir);

// The host reads its version from the package.json two levels above core/kernel.
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
writeFileSync(path.join(out, 'package.json'), `${JSON.stringify({ name: pkg.name, version: pkg.version, private: true, type: 'module' }, null, 2)}\n`);
process.stdout.write(`built ${path.relative(root, out)}/ (${copied} assets copied)\n`);

// The web console: built with Vite into its place beside dist/core (console/dist, which running servers
// may be serving, is left alone), its size printed and held to the budget.
const { buildConsole, budgetBytes } = await import('../console/build.ts');
const consoleSize = await buildConsole({ quiet: true, outDir: path.join(out, 'console/dist') });
for (const f of consoleSize.files) process.stdout.write(`console ${f.name}: ${(f.bytes / 1024).toFixed(1)} KB, gzip ${(f.gzip / 1024).toFixed(1)} KB\n`);
process.stdout.write(`console first load: ${(consoleSize.totalGzip / 1024).toFixed(1)} KB gzip (budget ${budgetBytes / 1024} KB)\n`);
if (consoleSize.totalGzip > budgetBytes) {
  process.stderr.write('the console is over its size budget\n');
  process.exit(1);
}
