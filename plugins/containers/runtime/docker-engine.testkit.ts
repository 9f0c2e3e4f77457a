/**
 * A small Docker Engine for tests, on a unix socket in a temp dir: the documented endpoints the
 * adapter uses (`/_ping`, `/version`, `/info`, `/containers/json`, `/containers/{id}/json`, `/events`
 * streamed, `/containers/{id}/logs` as the multiplexed stream, `/containers/{id}/stats`), with state
 * the test changes. Imported by *.test.ts only.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http, { type ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';

export interface FakeContainer {
  Id: string;
  Name: string;
  Image: string;
  ImageDigest?: string;
  /** What `/images/{id}/json` lists as the image's registry digests. */
  RepoDigests?: string[];
  Labels: Record<string, string>;
  Status: string;
  Health?: string;
  ExitCode?: number;
  StartedAt?: string;
  RestartCount?: number;
  Tty?: boolean;
  logs?: { stream: 1 | 2; at: string; text: string }[];
  stats?: Record<string, unknown>;
}

/** One multiplexed frame: the 8-byte header, then the payload. */
export function frame(stream: 1 | 2, payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

export async function startDockerEngine(t: { teardown(fn: () => unknown): void }, options: { apiVersion?: string } = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'itops-docker-'));
  const socketPath = path.join(dir, 'docker.sock');
  const apiVersion = options.apiVersion ?? '1.45';
  const containers = new Map<string, FakeContainer>();
  const events: { doc: Record<string, unknown>; nanos: bigint }[] = [];
  const eventStreams = new Set<ServerResponse>();
  const logFollowers = new Map<string, Set<ServerResponse>>();
  const requests: string[] = [];
  let clock = BigInt(Date.parse('2026-03-10T12:00:00Z')) * 1_000_000n;

  const inspect = (c: FakeContainer) => ({
    Id: c.Id,
    Name: `/${c.Name}`,
    Created: '2026-03-01T00:00:00Z',
    Image: c.ImageDigest ?? `sha256:${'a'.repeat(64)}`,
    RestartCount: c.RestartCount ?? 0,
    State: {
      Status: c.Status,
      Running: c.Status === 'running',
      ExitCode: c.ExitCode ?? 0,
      StartedAt: c.StartedAt ?? '2026-03-10T11:00:00Z',
      FinishedAt: '0001-01-01T00:00:00Z',
      ...(c.Health ? { Health: { Status: c.Health } } : {}),
    },
    Config: { Image: c.Image, Labels: c.Labels, Tty: c.Tty ?? false, Hostname: c.Id.slice(0, 12) },
  });

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'api-version': apiVersion }).end(JSON.stringify(body));
  };
  const logBytes = (c: FakeContainer, line: { stream: 1 | 2; at: string; text: string }) => {
    const text = `${line.at} ${line.text}\n`;
    return c.Tty ? Buffer.from(text) : frame(line.stream, text);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://docker');
    requests.push(url.pathname + url.search);
    const p = url.pathname.replace(/^\/v[0-9.]+/, '');
    if (url.pathname === '/_ping') return res.writeHead(200, { 'api-version': apiVersion, 'content-type': 'text/plain' }).end('OK');
    if (url.pathname === '/version') return send(res, 200, { Version: '27.1.0', ApiVersion: apiVersion, MinAPIVersion: '1.24' });
    if (p === '/info') {
      clock += 1_000_000n;
      return send(res, 200, { SystemTime: new Date(Number(clock / 1_000_000n)).toISOString() });
    }
    if (p === '/containers/json') {
      const all = url.searchParams.get('all') === '1';
      return send(
        res,
        200,
        [...containers.values()]
          .filter((c) => all || c.Status === 'running')
          .map((c) => ({ Id: c.Id, Names: [`/${c.Name}`], Image: c.Image, Labels: c.Labels, State: c.Status })),
      );
    }
    if (p === '/events') {
      const since = url.searchParams.get('since');
      const sinceNanos = since ? BigInt(Math.round(Number(since) * 1e6)) * 1000n : 0n;
      res.writeHead(200, { 'content-type': 'application/json' }).flushHeaders();
      for (const e of events) if (e.nanos >= sinceNanos) res.write(`${JSON.stringify(e.doc)}\n`);
      eventStreams.add(res);
      res.on('close', () => eventStreams.delete(res));
      return;
    }
    const image = /^\/images\/(.+)\/json$/.exec(p);
    if (image) {
      const id = decodeURIComponent(image[1]);
      const owner = [...containers.values()].find((c) => (c.ImageDigest ?? `sha256:${'a'.repeat(64)}`) === id || c.Image === id);
      return owner ? send(res, 200, { Id: id, RepoDigests: owner.RepoDigests ?? [] }) : send(res, 404, { message: `No such image: ${id}` });
    }
    const match = /^\/containers\/([^/]+)\/(json|logs|stats)$/.exec(p);
    const c = match ? containers.get(decodeURIComponent(match[1])) : undefined;
    if (!match || !c) return send(res, 404, { message: `No such container: ${match?.[1] ?? p}` });
    if (match[2] === 'json') return send(res, 200, inspect(c));
    if (match[2] === 'stats') {
      if (c.Status !== 'running') return send(res, 409, { message: 'container is not running' });
      return send(res, 200, c.stats ?? {});
    }
    // logs
    const tail = url.searchParams.get('tail');
    const since = url.searchParams.get('since');
    let lines = (c.logs ?? []).filter((l) => !since || Date.parse(l.at) >= Number(since) * 1000);
    if (tail && tail !== 'all') lines = Number(tail) === 0 ? [] : lines.slice(-Number(tail));
    res.writeHead(200, { 'content-type': c.Tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream' }).flushHeaders();
    // Frames split at odd places: the reader must join them.
    const bytes = Buffer.concat(lines.map((l) => logBytes(c, l)));
    for (let i = 0; i < bytes.length; i += 5) res.write(bytes.subarray(i, i + 5));
    if (url.searchParams.get('follow') !== '1') return res.end();
    const followers = logFollowers.get(c.Id) ?? new Set<ServerResponse>();
    logFollowers.set(c.Id, followers);
    followers.add(res);
    res.on('close', () => followers?.delete(res));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  t.teardown(async () => {
    for (const res of eventStreams) res.destroy();
    for (const set of logFollowers.values()) for (const res of set) res.destroy();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  return {
    socketPath,
    host: `unix://${socketPath}`,
    containers,
    requests,
    add(c: Partial<FakeContainer> & { Id: string; Name: string }) {
      const full: FakeContainer = { Image: 'nginx:1.25.3', Labels: {}, Status: 'running', ...c };
      containers.set(c.Id, full);
      // As an engine does: a new container is created, then (unless it stays stopped) started.
      this.emit(c.Id, 'create');
      if (full.Status !== 'created') this.emit(c.Id, 'start');
      if (full.Status === 'exited') this.emit(c.Id, 'die', { exitCode: String(full.ExitCode ?? 0) });
      return full;
    },
    /** Records an event (at the engine's clock, one ms apart) and sends it to open streams. */
    emit(id: string, action: string, attributes: Record<string, string> = {}) {
      clock += 1_000_000n;
      const c = containers.get(id);
      const doc = {
        Type: 'container',
        Action: action,
        Actor: { ID: id, Attributes: { name: c?.Name ?? id, image: c?.Image ?? '', ...attributes } },
        time: Number(clock / 1_000_000_000n),
        timeNano: Number(clock),
      };
      events.push({ doc, nanos: clock });
      for (const res of eventStreams) res.write(`${JSON.stringify(doc)}\n`);
    },
    /** Cuts every open event stream (an engine restart, a proxy timeout). */
    dropEventStreams() {
      for (const res of eventStreams) res.destroy();
      eventStreams.clear();
    },
    openEventStreams: () => eventStreams.size,
    /** Appends a log line and sends it to followers. */
    log(id: string, stream: 1 | 2, text: string, at: string) {
      const c = containers.get(id);
      if (!c) throw new Error(`no container ${id}`);
      const line = { stream, at, text };
      c.logs = [...(c.logs ?? []), line];
      for (const res of logFollowers.get(id) ?? []) res.write(logBytes(c, line));
    },
    followers: (id: string) => logFollowers.get(id)?.size ?? 0,
  };
}
