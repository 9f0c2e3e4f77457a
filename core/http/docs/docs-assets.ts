import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type Koa from 'koa';
import { AppError } from '../../errors/app-error.ts';

const require = createRequire(import.meta.url);
const rapidocPackage = require.resolve('rapidoc/package.json');

const files: Record<string, Buffer> = {
  'rapidoc-min.js': readFileSync(path.join(path.dirname(rapidocPackage), 'dist', 'rapidoc-min.js')),
  'docs-boot.js': readFileSync(path.join(import.meta.dirname, 'docs-boot.js')),
  'docs.css': readFileSync(path.join(import.meta.dirname, 'docs.css')),
};

/** A digest of what is served: any change to the renderer or the boot script gives new URLs. */
const assetsVersion = createHash('sha256').update(files['rapidoc-min.js']).update(files['docs-boot.js']).update(files['docs.css']).digest('hex').slice(0, 16);

export const DOCS_ASSETS_PREFIX = '/docs/assets/';
/** Where the page's scripts are served; the digest in the path makes each URL immutable. */
export const docsAssetsBase = `${DOCS_ASSETS_PREFIX}${assetsVersion}/`;

/**
 * Serves the reference page's scripts from the installed packages: no CDN, so the page works on a
 * host without internet access and a third party cannot change the code that runs beside an API key.
 * A year's `immutable` cache is safe because any change to the files changes the URL.
 */
export function serveDocsAsset(ctx: Koa.Context): void {
  const rest = ctx.path.slice(DOCS_ASSETS_PREFIX.length);
  const [version, name, ...extra] = rest.split('/');
  if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || version !== assetsVersion || extra.length > 0 || !Object.hasOwn(files, name)) {
    throw new AppError('not_found', `No such documentation asset: ${ctx.path}`);
  }
  ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.type = name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8';
  ctx.body = files[name];
}
