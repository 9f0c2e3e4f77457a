/**
 * Test helpers for the status page tests: the acme/globex world with the first-party plugins
 * (containers and SLA among them) on the system clock, shorthands for heartbeats, SLA pushes and components, and a small
 * Server-Sent Events reader. Imported by *.test.ts only.
 */
import { call } from '../../../core/plugin-api/testing.ts';
import { eventually } from '../../../core/testing/eventually.ts';
import { startWorld } from '../../../core/testing/identity-fixtures.ts';

export { eventually };

export interface SseFrame {
  event: string;
  data: any;
}

/** Reads an SSE response frame by frame; `next` waits for the first frame that matches. */
export async function openSse(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const frames: SseFrame[] = [];
  const parse = () => {
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data !== undefined) frames.push({ event, data: JSON.parse(data) });
      end = buffer.indexOf('\n\n');
    }
  };
  const next = async (match: (frame: SseFrame) => boolean = () => true, timeoutMs = 15_000): Promise<SseFrame> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const index = frames.findIndex(match);
      if (index >= 0) return frames.splice(0, index + 1)[index];
      const left = until - Date.now();
      if (left <= 0) throw new Error('no matching SSE frame in time');
      let timer: NodeJS.Timeout | undefined;
      const chunk = await Promise.race([
        reader.read(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('no matching SSE frame in time')), left);
        }),
      ]).finally(() => clearTimeout(timer));
      if (chunk.done) throw new Error('the stream ended');
      buffer += decoder.decode(chunk.value, { stream: true });
      parse();
    }
  };
  return { response, next, close: () => controller.abort() };
}

/** Publishes the workspace's status page under `slug`. */
export async function publishStatusPage(kernel: Parameters<typeof call>[0], slug: string, headers: Record<string, string>) {
  const published = await call(kernel, 'PUT', '/api/v1/status/settings', { headers, body: { slug } });
  if (published.status !== 200) throw new Error(`publish ${slug}: ${published.status} ${published.text}`);
}

export async function statusWorld(t: { teardown(fn: () => unknown): void }) {
  // The first-party plugins as a server runs them: SLA services publish real status changes.
  const world = await startWorld(t, { firstParty: true });
  const { kernel, acmeOps, acmeAdmin } = world;
  // Both pages published under their workspace's id, so `?workspace=acme` reads as it always did.
  await publishStatusPage(kernel, 'acme', acmeOps.headers);
  await publishStatusPage(kernel, 'globex', world.globexAdmin.headers);

  const heartbeat = async (name = 'nightly backup', headers = acmeOps.headers) => {
    const created = await call(kernel, 'POST', '/api/v1/heartbeats', { headers, body: { name, periodSeconds: 3600 } });
    if (created.status !== 201) throw new Error(`heartbeat: ${created.status} ${created.text}`);
    return created.json as { id: string; uuid: string };
  };
  const ping = async (path: string) => {
    const response = await fetch(`${kernel.url}${path}`);
    if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
    return response.text();
  };
  const key = await call(kernel, 'POST', '/api/v1/apikeys', { headers: acmeAdmin.headers, body: { name: 'health cron', scope: 'ingestion' } });
  const agent = { 'x-api-key': key.json.api_key as string };
  /** A health push of the SLA plugin; returns the service's id. */
  const push = async (service: string, status: string) => {
    const pushed = await call(kernel, 'POST', '/api/v1/health/report', { headers: agent, body: { service, nodeId: 'acme/prod/db', status } });
    if (pushed.status !== 200) throw new Error(`push: ${pushed.status} ${pushed.text}`);
    const list = await call(kernel, 'GET', `/api/v1/sla/services?q=${encodeURIComponent(service)}`, { headers: acmeOps.headers });
    return (list.json.data as { id: string; name: string }[]).find((s) => s.name === service)?.id as string;
  };
  const component = async (body: Record<string, unknown>, headers = acmeOps.headers) => {
    const created = await call(kernel, 'POST', '/api/v1/status/components', { headers, body });
    if (created.status !== 201) throw new Error(`component: ${created.status} ${created.text}`);
    return created.json as { id: string; [key: string]: any };
  };
  const group = async (body: Record<string, unknown>, headers = acmeOps.headers) => {
    const created = await call(kernel, 'POST', '/api/v1/status/groups', { headers, body });
    if (created.status !== 201) throw new Error(`group: ${created.status} ${created.text}`);
    return created.json as { id: string; [key: string]: any };
  };
  /** Waits until the component's status is `status` (the status store applies events as they arrive). */
  const becomes = (id: string, status: string, headers = acmeOps.headers) =>
    eventually(async () => {
      const list = await call(kernel, 'GET', `/api/v1/status/components?limit=1000`, { headers });
      const found = (list.json.data as { id: string; status: string; statusSince: string | null }[]).find((c) => c.id === id);
      return found?.status === status ? found : undefined;
    });
  const page = async (query = '?workspace=acme', headers: Record<string, string> = {}) => {
    const response = await fetch(`${kernel.url}/status${query}`, { headers });
    return { status: response.status, headers: response.headers, html: await response.text() };
  };
  return { ...world, heartbeat, ping, push, component, group, becomes, page };
}
