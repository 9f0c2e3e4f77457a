import path from 'node:path';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

const server = process.env.ITOPS_URL ?? 'http://localhost:3000';

/**
 * The console's build: Preact (small enough for the 200 KB gzip budget), the SDK taken from its
 * sources (no separate SDK build step), hashed file names under /console/assets/ (served immutable),
 * and no inline script or style, which the server's CSP would refuse.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  plugins: [preact()],
  resolve: { alias: { '@itops/sdk': path.resolve(import.meta.dirname, '../sdk/browser.ts') } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  // `npm run console:dev`: the console with hot reload, the API of a server started with `npm start`.
  server: {
    proxy: {
      '/api': server,
      '/ping': server,
      '/setup': server,
      '/docs': server,
      '/graphql': { target: server, ws: true },
    },
  },
});
