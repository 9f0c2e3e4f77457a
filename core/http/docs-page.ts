import { operationsOf } from '../contract/contract-document.ts';

const escapeHtml = (text: unknown) =>
  String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/**
 * A server-rendered reference of the loaded contract: no script, no CDN, readable offline and by
 * screen readers. The machine-readable document is one link away.
 */
export function renderDocsPage(document: Record<string, any>): string {
  const byTag = new Map<string, string[]>();
  for (const { path, method, operation } of operationsOf(document)) {
    const tag = operation.tags?.[0] ?? 'other';
    const access = operation['x-public'] ? '<span class="public">public</span>' : `<code>${escapeHtml(operation['x-permission'])}</code>`;
    const params = (operation.parameters ?? [])
      .map((p: any) => (p.$ref ? String(p.$ref).split('/').pop() : `${p.name} (${p.in})`))
      .map((name: string) => `<code>${escapeHtml(name)}</code>`)
      .join(' ');
    const codes = Object.keys(operation.responses ?? {}).join(', ');
    const row = `<tr><td><span class="m ${method}">${method.toUpperCase()}</span></td><td><code>${escapeHtml(path)}</code></td><td>${escapeHtml(operation.summary)}<br><small>${escapeHtml(operation.operationId)} · ${escapeHtml(operation['x-plugin'])}</small></td><td>${access}</td><td>${params}</td><td>${escapeHtml(codes)}</td></tr>`;
    byTag.set(tag, [...(byTag.get(tag) ?? []), row]);
  }
  const sections = [...byTag.entries()]
    .map(
      ([tag, rows]) =>
        `<section><h2 id="${escapeHtml(tag)}">${escapeHtml(tag)}</h2><table><thead><tr><th scope="col">Method</th><th scope="col">Path</th><th scope="col">Summary</th><th scope="col">Access</th><th scope="col">Parameters</th><th scope="col">Responses</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`,
    )
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(document.info?.title)} reference</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1f24}table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #d0d7de;padding:.4rem;text-align:left;vertical-align:top}.m{font-weight:700}.get{color:#0a5}.post{color:#06c}.put,.patch{color:#a60}.delete{color:#c22}.public{color:#555}small{color:#57606a}</style></head>
<body><header><h1>${escapeHtml(document.info?.title)} <small>${escapeHtml(document.info?.version)}</small></h1><p>Operations served by this server now. Machine-readable: <a href="/api/v1/openapi">/api/v1/openapi</a>. Errors always have the shape <code>{"error":{"code","message","details","correlationId"}}</code>.</p></header><main>${sections}</main></body></html>`;
}
