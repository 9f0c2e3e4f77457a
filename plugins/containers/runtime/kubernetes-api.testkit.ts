/**
 * A small Kubernetes API server for tests: list and watch (with resourceVersion, bookmarks and 410
 * Gone for a version older than it keeps) of pods, deployments, statefulsets and daemonsets, pod
 * logs and metrics-server readings, behind a bearer token. Imported by *.test.ts only.
 */
import http, { type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Kind = 'pods' | 'deployments' | 'statefulsets' | 'daemonsets';
type Obj = { metadata: { name: string; namespace: string; uid: string; resourceVersion?: string; [k: string]: unknown }; [k: string]: unknown };

export async function startKubernetesApi(t: { teardown(fn: () => unknown): void }, options: { token?: string } = {}) {
  const token = options.token ?? 'service-account-token';
  let version = 100;
  /** Versions older than this answer 410 Gone. */
  let oldest = 0;
  const objects: Record<Kind, Map<string, Obj>> = { pods: new Map(), deployments: new Map(), statefulsets: new Map(), daemonsets: new Map() };
  const history: { kind: Kind; type: string; object: Obj; version: number }[] = [];
  const watchers = new Set<{ kind: Kind; res: ServerResponse }>();
  const logs = new Map<string, string[]>();
  const metrics = new Map<string, unknown>();
  const requests: string[] = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://k8s');
    requests.push(url.pathname + url.search);
    const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.headers.authorization !== `Bearer ${token}`) return send(401, { kind: 'Status', code: 401, message: 'Unauthorized' });
    if (url.pathname === '/version') return send(200, { gitVersion: 'v1.31.2' });
    const log = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/.exec(url.pathname);
    if (log) {
      const lines = logs.get(`${log[1]}/${log[2]}/${url.searchParams.get('container')}`);
      if (!lines) return send(404, { kind: 'Status', code: 404, message: 'pod not found' });
      const tail = Number(url.searchParams.get('tailLines') ?? lines.length);
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end(
        lines
          .slice(tail === 0 ? lines.length : -tail)
          .map((l) => `${l}\n`)
          .join(''),
      );
    }
    const metric = /^\/apis\/metrics\.k8s\.io\/v1beta1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(url.pathname);
    if (metric) {
      const m = metrics.get(`${metric[1]}/${metric[2]}`);
      return m ? send(200, m) : send(404, { kind: 'Status', code: 404, message: 'not found' });
    }
    const match = /^\/(?:api\/v1|apis\/apps\/v1)(?:\/namespaces\/([^/]+))?\/(pods|deployments|statefulsets|daemonsets)$/.exec(url.pathname);
    if (!match) return send(404, { kind: 'Status', code: 404, message: 'not found' });
    const kind = match[2] as Kind;
    const ns = match[1];
    const visible = (o: Obj) => !ns || o.metadata.namespace === ns;
    if (url.searchParams.get('watch') !== '1') {
      return send(200, { kind: 'List', metadata: { resourceVersion: String(version) }, items: [...objects[kind].values()].filter(visible) });
    }
    const from = Number(url.searchParams.get('resourceVersion') ?? version);
    if (from < oldest) return send(410, { kind: 'Status', code: 410, reason: 'Expired', message: `too old resource version: ${from}` });
    res.writeHead(200, { 'content-type': 'application/json' }).flushHeaders();
    for (const e of history) if (e.kind === kind && e.version > from && visible(e.object)) res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
    const watcher = { kind, res };
    watchers.add(watcher);
    res.on('close', () => watchers.delete(watcher));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    for (const w of watchers) w.res.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  const change = (kind: Kind, type: 'ADDED' | 'MODIFIED' | 'DELETED', object: Obj) => {
    version += 1;
    const stored = { ...object, metadata: { ...object.metadata, resourceVersion: String(version) } };
    if (type === 'DELETED') objects[kind].delete(object.metadata.uid);
    else objects[kind].set(object.metadata.uid, stored);
    history.push({ kind, type, object: stored, version });
    for (const w of watchers) if (w.kind === kind) w.res.write(`${JSON.stringify({ type, object: stored })}\n`);
  };

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    token,
    requests,
    change,
    /** Seeds without history (as if created long ago). */
    put(kind: Kind, object: Obj) {
      objects[kind].set(object.metadata.uid, { ...object, metadata: { ...object.metadata, resourceVersion: String(version) } });
    },
    /** Forgets history up to now: watches from older versions get 410 Gone. */
    compact() {
      oldest = version + 1;
    },
    bookmark(kind: Kind) {
      version += 1;
      for (const w of watchers)
        if (w.kind === kind) w.res.write(`${JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: String(version) } } })}\n`);
    },
    dropWatches() {
      for (const w of watchers) w.res.destroy();
      watchers.clear();
    },
    watching: () => watchers.size,
    setLogs(ns: string, pod: string, container: string, lines: string[]) {
      logs.set(`${ns}/${pod}/${container}`, lines);
    },
    setMetrics(ns: string, pod: string, body: unknown) {
      metrics.set(`${ns}/${pod}`, body);
    },
  };
}

/** A pod of a deployment's ReplicaSet, with one container in the given state. */
export function pod(
  name: string,
  options: { uid?: string; namespace?: string; state?: Record<string, unknown>; restarts?: number; ready?: boolean; deployment?: string } = {},
) {
  const hash = '7d9f8c6b5';
  return {
    metadata: {
      name,
      namespace: options.namespace ?? 'shop',
      uid: options.uid ?? `uid-${name}`,
      creationTimestamp: '2026-03-01T00:00:00Z',
      labels: { app: name.split('-')[0], 'pod-template-hash': hash },
      ownerReferences: options.deployment ? [{ kind: 'ReplicaSet', name: `${options.deployment}-${hash}` }] : [],
    },
    spec: { nodeName: 'node-a', containers: [{ name: 'app', image: 'ghcr.io/acme/shop:1.4.2', readinessProbe: { httpGet: { path: '/ready' } } }] },
    status: {
      containerStatuses: [
        {
          name: 'app',
          image: 'ghcr.io/acme/shop:1.4.2',
          imageID: `ghcr.io/acme/shop@sha256:${'b'.repeat(64)}`,
          ready: options.ready ?? true,
          restartCount: options.restarts ?? 0,
          state: options.state ?? { running: { startedAt: '2026-03-10T11:00:00Z' } },
        },
      ],
    },
  };
}
