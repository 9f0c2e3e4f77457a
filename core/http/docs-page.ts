import { docsAssetsBase } from './docs/docs-assets.ts';

const escapeHtml = (text: unknown) =>
  String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/**
 * The page's policy. Scripts only from this server (the renderer and its configuration are files,
 * never inline). Styles need 'unsafe-inline': RapiDoc (lit) writes `style="…"` attributes and
 * `<style>` elements into its shadow DOM at runtime, which no hash can cover; a style cannot run
 * code, and everything else stays closed. `connect-src 'self'` keeps the try-it panel on this server.
 */
export const docsPagePolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The API reference: RapiDoc, served from this package (see docs-assets.ts), reads the live
 * contract at `/api/v1/openapi` when the page opens, so operations of plugins loaded at runtime
 * appear without a rebuild. The document is only used for the title.
 */
export function renderDocsPage(document: Record<string, any>): string {
  const title = `${escapeHtml(document.info?.title)} API reference`;
  // The meta policy applies even where the handler's headers are not set; frame-ancestors needs the header (docsPageHeaders).
  const metaPolicy = docsPagePolicy.replace("; frame-ancestors 'none'", '');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${metaPolicy}">
<meta name="color-scheme" content="light dark">
<title>${title}</title>
<link rel="stylesheet" href="${docsAssetsBase}docs.css">
</head>
<body>
<h1 class="visually-hidden">${title}</h1>
<rapi-doc id="reference" spec-url="/api/v1/openapi" render-style="read" layout="row" load-fonts="false" show-header="false" allow-spec-url-load="false" allow-spec-file-load="false" allow-server-selection="false" allow-authentication="true" allow-try="true" persist-auth="false" schema-style="table" schema-description-expanded="true" show-method-in-nav-bar="as-colored-text" use-path-in-nav-bar="false" fill-request-fields-with-example="true" regular-font="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" mono-font="ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace" heading-text="${title}">
<noscript><p>This reference needs JavaScript. The contract itself is at <a href="/api/v1/openapi">/api/v1/openapi</a> (OpenAPI 3.1, JSON).</p></noscript>
</rapi-doc>
<script src="${docsAssetsBase}docs-boot.js"></script>
<script type="module" src="${docsAssetsBase}rapidoc-min.js"></script>
</body></html>`;
}

/** Headers for the page: the policy as a header too, so that frame-ancestors applies. */
export const docsPageHeaders = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': docsPagePolicy,
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
};
