import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type Koa from 'koa';
import { AppError } from '../errors/app-error.ts';

/**
 * Where `npm run console:build` writes the console: `console/dist` beside `core/` in the
 * repository, and `dist/console/dist` beside `dist/core/` in the production build.
 */
export const consoleDistDir = path.resolve(import.meta.dirname, '../../console/dist');

/**
 * The console's policy: scripts and styles only as files from this server (the build emits no
 * inline script or style), API calls, the event stream and graphql-ws only to this origin, and
 * the page never framed.
 */
export const consolePolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const types: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

interface ConsoleFiles {
  index: Buffer;
  /** Hashed assets by their path under `/console/`, e.g. `assets/index-3f2a.js`. */
  assets: Map<string, Buffer>;
}

let cached: ConsoleFiles | undefined;
let cachedAt = 0;

/**
 * The built console, read once into memory (a few hundred KB); read again when `index.html`
 * changes, so a rebuild while the server runs (`npm run console:build`) is picked up.
 */
function consoleFiles(dir = consoleDistDir): ConsoleFiles | undefined {
  const indexFile = path.join(dir, 'index.html');
  if (!existsSync(indexFile)) return undefined;
  const mtime = statSync(indexFile).mtimeMs;
  if (cached && cachedAt === mtime) return cached;
  const assets = new Map<string, Buffer>();
  const assetsDir = path.join(dir, 'assets');
  if (existsSync(assetsDir)) for (const name of readdirSync(assetsDir)) assets.set(`assets/${name}`, readFileSync(path.join(assetsDir, name)));
  cached = { index: readFileSync(indexFile), assets };
  cachedAt = mtime;
  return cached;
}

/** Whether the console answers this request: `GET`/`HEAD` of `/` or anything under `/console`. */
export function isConsoleRequest(ctx: Koa.Context): boolean {
  return (ctx.method === 'GET' || ctx.method === 'HEAD') && (ctx.path === '/' || ctx.path === '/console' || ctx.path.startsWith('/console/'));
}

/**
 * Serves the single-page console. Hashed assets are cached for a year (`immutable`): a new build
 * gives new names. Every other path is a route of the application and gets `index.html`, revalidated
 * on every load (`no-cache`) so a new build is seen at once.
 */
export function serveConsole(ctx: Koa.Context, dir?: string): void {
  const files = consoleFiles(dir);
  if (!files) throw new AppError('not_found', 'The web console is not built: run `npm run console:build`.');
  const rest = ctx.path.startsWith('/console/') ? ctx.path.slice('/console/'.length) : '';
  ctx.set('X-Content-Type-Options', 'nosniff');
  if (rest.startsWith('assets/')) {
    const asset = files.assets.get(rest);
    if (!asset) throw new AppError('not_found', `No such console asset: ${ctx.path}`);
    ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
    ctx.type = types[path.extname(rest)] ?? 'application/octet-stream';
    ctx.body = asset;
    return;
  }
  ctx.set('Cache-Control', 'no-cache');
  ctx.set('Content-Security-Policy', consolePolicy);
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = files.index;
}
