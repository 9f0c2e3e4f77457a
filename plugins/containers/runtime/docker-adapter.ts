import { DockerLogDemuxer, type DockerStats, isMultiplexed, statsFromDocker } from './docker-frames.ts';
import {
  composeProjectLabel,
  composeServiceLabel,
  type ContainerRef,
  type ContainerState,
  type LogLine,
  type LogQuery,
  maxLogLines,
  type ResourceStats,
  type RuntimeAdapter,
  type RuntimeContainer,
  type RuntimeEvent,
  type RuntimeInfo,
} from './runtime-adapter.ts';
import { jsonDocuments, openRuntimeStream, type RuntimeEndpoint, RuntimeHttpError, runtimeJson } from './runtime-http.ts';

/** The API versions this adapter speaks: it uses the engine's own version when that is lower than the newest here. */
export const dockerApiNewest = '1.47';
export const dockerApiOldest = '1.24';

export interface DockerOptions {
  /** `unix:///var/run/docker.sock`, a socket path, or `tcp://host:2375` / `http(s)://host:port`. */
  host: string;
  ca?: string | Buffer;
  /** Deadline of each plain call (default 10 s). */
  callDeadlineMs?: number;
  /** Longest an event or log stream stays open before it is reopened (default 10 min). */
  streamDeadlineMs?: number;
  /** Inspections run side by side when listing (default 8). */
  inspectConcurrency?: number;
}

/** `1.41` < `1.9`? No: compares dotted versions numerically. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function dockerEndpoint(host: string, ca?: string | Buffer): RuntimeEndpoint {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('/')) return { socketPath: host };
  if (host.startsWith('tcp://')) return { baseUrl: `http://${host.slice('tcp://'.length)}`, ca };
  return { baseUrl: host, ca };
}

interface DockerInspect {
  Id: string;
  Name?: string;
  Created?: string;
  Image?: string;
  RestartCount?: number;
  State?: {
    Status?: string;
    ExitCode?: number;
    StartedAt?: string;
    FinishedAt?: string;
    Health?: { Status?: string };
  };
  Config?: { Image?: string; Labels?: Record<string, string> | null; Tty?: boolean; Hostname?: string };
}

interface DockerEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

const states = new Set<ContainerState>(['created', 'running', 'restarting', 'paused', 'exited', 'dead', 'removing']);
const time = (value: string | undefined) => (value && !value.startsWith('0001-') && !Number.isNaN(Date.parse(value)) ? new Date(value) : null);

/** The model's view of an inspected container. */
export function containerFromInspect(doc: DockerInspect): RuntimeContainer {
  const labels = doc.Config?.Labels ?? {};
  const status = doc.State?.Status as ContainerState | undefined;
  const health = doc.State?.Health?.Status;
  return {
    externalId: doc.Id,
    name: (doc.Name ?? doc.Id.slice(0, 12)).replace(/^\//, ''),
    image: doc.Config?.Image ?? doc.Image ?? '',
    imageDigest: doc.Image?.startsWith('sha256:') ? doc.Image : null,
    state: status && states.has(status) ? status : 'unknown',
    health: health === 'healthy' || health === 'unhealthy' || health === 'starting' ? health : null,
    labels,
    composeProject: labels[composeProjectLabel] ?? null,
    composeService: labels[composeServiceLabel] ?? null,
    namespace: null,
    workloadKind: null,
    workloadName: null,
    host: doc.Config?.Hostname ?? null,
    createdAt: time(doc.Created),
    startedAt: time(doc.State?.StartedAt),
    finishedAt: time(doc.State?.FinishedAt),
    exitCode: doc.State?.ExitCode ?? null,
    restartCount: doc.RestartCount ?? 0,
  };
}

/** A cursor is the daemon's clock as `seconds.nanoseconds`, which `/events?since=` takes. */
const cursorOf = (date: Date) => (date.getTime() / 1000).toFixed(6);
const cursorOfNanos = (nanos: number) => {
  // timeNano exceeds a double's precision: step back a microsecond so an event rounded up is not skipped.
  const micros = Math.floor(nanos / 1000) - 1;
  return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
};

/**
 * The Docker Engine API over its unix socket or TCP. The API version is negotiated on connect
 * (`/_ping` then `/version`); calls go to `/v<version>/…`.
 */
export class DockerAdapter implements RuntimeAdapter {
  readonly kind = 'docker' as const;
  private readonly endpoint: RuntimeEndpoint;
  private version: string | null = null;

  constructor(private readonly options: DockerOptions) {
    this.endpoint = dockerEndpoint(options.host, options.ca);
  }

  private get deadline() {
    return this.options.callDeadlineMs ?? 10_000;
  }

  private async path(path: string): Promise<string> {
    if (!this.version) await this.connect();
    return `/v${this.version}${path}`;
  }

  private async json<T>(path: string): Promise<T> {
    return runtimeJson<T>(this.endpoint, { path: await this.path(path), deadlineMs: this.deadline });
  }

  async connect(): Promise<RuntimeInfo> {
    const ping = await openRuntimeStream(this.endpoint, { path: '/_ping', deadlineMs: this.deadline });
    const pinged = ping.response.headers['api-version'];
    ping.close();
    const version = await runtimeJson<{ ApiVersion?: string; Version?: string; MinAPIVersion?: string }>(this.endpoint, {
      path: '/version',
      deadlineMs: this.deadline,
    });
    const engine = version.ApiVersion ?? (typeof pinged === 'string' ? pinged : undefined) ?? dockerApiOldest;
    if (compareVersions(engine, dockerApiOldest) < 0) {
      throw new RuntimeHttpError(`the engine speaks API ${engine}; at least ${dockerApiOldest} is needed`);
    }
    this.version = compareVersions(engine, dockerApiNewest) < 0 ? engine : dockerApiNewest;
    return { kind: 'docker', endpoint: this.options.host, apiVersion: this.version, serverVersion: version.Version ?? null };
  }

  async inspect(id: string): Promise<RuntimeContainer> {
    return containerFromInspect(await this.json<DockerInspect>(`/containers/${encodeURIComponent(id)}/json`));
  }

  async list(): Promise<{ containers: RuntimeContainer[]; workloads: []; cursor: string; at: Date }> {
    // The daemon's clock, read before listing: events from then on are replayed by watch.
    const info = await this.json<{ SystemTime?: string }>('/info');
    const at = new Date(Date.parse(info.SystemTime ?? '') || Date.now());
    const cursor = cursorOf(at);
    const listed = await this.json<{ Id: string }[]>('/containers/json?all=1');
    const containers: RuntimeContainer[] = [];
    const queue = [...listed];
    const inspectOne = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        try {
          containers.push(await this.inspect(next.Id));
        } catch (error) {
          // Removed between the list and the inspection: it is gone, not an error.
          if (!(error instanceof RuntimeHttpError && error.status === 404)) throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: this.options.inspectConcurrency ?? 8 }, inspectOne));
    return { containers, workloads: [], cursor, at };
  }

  async watch(cursor: string, onEvent: (event: RuntimeEvent, cursor: string) => Promise<void>, signal: AbortSignal): Promise<string> {
    const filters = encodeURIComponent(JSON.stringify({ type: ['container'] }));
    const { response, close } = await openRuntimeStream(this.endpoint, {
      path: await this.path(`/events?since=${cursor}&filters=${filters}`),
      deadlineMs: this.options.streamDeadlineMs ?? 600_000,
      signal,
    });
    let last = cursor;
    try {
      if ((response.statusCode ?? 0) >= 300) throw new RuntimeHttpError(`/events: ${response.statusCode}`, response.statusCode);
      for await (const doc of jsonDocuments(response)) {
        const event = doc as DockerEvent;
        const nanos = event.timeNano ?? (event.time ?? 0) * 1e9;
        const next = cursorOfNanos(nanos);
        const mapped = await this.eventOf(event, new Date(nanos / 1e6));
        if (mapped) await onEvent(mapped, next);
        last = next;
      }
    } catch (error) {
      // A dropped stream ends the watch (the caller reconnects from the last cursor); an answer with an error status does not.
      if (error instanceof RuntimeHttpError && error.status) throw error;
      if (error instanceof SyntaxError) throw new RuntimeHttpError(`/events: ${error.message}`);
    } finally {
      close();
    }
    return last;
  }

  private async eventOf(event: DockerEvent, at: Date): Promise<RuntimeEvent | undefined> {
    if (event.Type && event.Type !== 'container') return undefined;
    const id = event.Actor?.ID;
    const action = event.Action ?? '';
    if (!id) return undefined;
    if (action.startsWith('health_status')) {
      const health = action.split(':')[1]?.trim();
      return health === 'healthy' || health === 'unhealthy' || health === 'starting' ? { kind: 'health', externalId: id, health, at } : undefined;
    }
    switch (action) {
      case 'create':
      case 'start':
      case 'restart':
      case 'rename':
      case 'update': {
        // What changed besides the state (labels, image, restart count) comes from an inspection.
        let container: RuntimeContainer | undefined;
        try {
          container = await this.inspect(id);
        } catch (error) {
          if (!(error instanceof RuntimeHttpError && error.status === 404)) throw error;
        }
        if (action === 'rename' || action === 'update') return container ? { kind: 'changed', externalId: id, at, container } : undefined;
        return { kind: 'state', externalId: id, state: action === 'create' ? 'created' : 'running', at, container };
      }
      case 'die': {
        const code = Number(event.Actor?.Attributes?.exitCode);
        return { kind: 'state', externalId: id, state: 'exited', at, exitCode: Number.isFinite(code) ? code : null };
      }
      case 'oom':
        return undefined;
      case 'pause':
        return { kind: 'state', externalId: id, state: 'paused', at };
      case 'unpause':
        return { kind: 'state', externalId: id, state: 'running', at };
      case 'destroy':
        return { kind: 'state', externalId: id, state: 'removed', at };
      default:
        return undefined;
    }
  }

  private async openLogs(id: string, query: LogQuery, follow: boolean, signal?: AbortSignal) {
    const params = new URLSearchParams({ stdout: '1', stderr: '1', timestamps: '1', tail: String(Math.min(query.tail, maxLogLines)) });
    if (query.since) params.set('since', (query.since.getTime() / 1000).toFixed(3));
    if (follow) params.set('follow', '1');
    const opened = await openRuntimeStream(this.endpoint, {
      path: await this.path(`/containers/${encodeURIComponent(id)}/logs?${params}`),
      deadlineMs: follow ? (this.options.streamDeadlineMs ?? 600_000) : this.deadline,
      signal,
    });
    const status = opened.response.statusCode ?? 0;
    if (status >= 300) {
      opened.close();
      throw new RuntimeHttpError(`/containers/${id}/logs: ${status}`, status);
    }
    return opened;
  }

  private async readLogs(response: AsyncIterable<Buffer>, contentType: string | undefined, onLine: (line: LogLine) => void) {
    let demuxer: DockerLogDemuxer | undefined;
    let head = Buffer.alloc(0);
    for await (const chunk of response) {
      if (!demuxer) {
        head = Buffer.concat([head, chunk]);
        if (head.length < 8 && !contentType?.includes('stream')) continue;
        demuxer = new DockerLogDemuxer(onLine, !isMultiplexed(contentType, head));
        demuxer.push(head);
      } else demuxer.push(chunk);
    }
    if (!demuxer && head.length > 0) {
      demuxer = new DockerLogDemuxer(onLine, !isMultiplexed(contentType, head));
      demuxer.push(head);
    }
    demuxer?.end();
  }

  async logs(container: ContainerRef, query: LogQuery): Promise<LogLine[]> {
    const id = container.externalId;
    const { response, close } = await this.openLogs(id, query, false);
    const lines: LogLine[] = [];
    try {
      await this.readLogs(response, response.headers['content-type'], (line) => lines.push(line));
    } catch (error) {
      throw error instanceof RuntimeHttpError ? error : new RuntimeHttpError(`/containers/${id}/logs: ${(error as Error).message}`);
    } finally {
      close();
    }
    return lines.slice(-Math.min(query.tail, maxLogLines));
  }

  async followLogs(container: ContainerRef, query: LogQuery, onLine: (line: LogLine) => void, signal: AbortSignal): Promise<void> {
    const id = container.externalId;
    const { response, close } = await this.openLogs(id, query, true, signal);
    try {
      await this.readLogs(response, response.headers['content-type'], onLine);
    } catch (error) {
      if (!signal.aborted) throw error instanceof RuntimeHttpError ? error : new RuntimeHttpError(`/containers/${id}/logs: ${(error as Error).message}`);
    } finally {
      close();
    }
  }

  async imageRepoDigests(imageId: string): Promise<string[]> {
    try {
      return (await this.json<{ RepoDigests?: string[] | null }>(`/images/${encodeURIComponent(imageId)}/json`)).RepoDigests ?? [];
    } catch (error) {
      if (error instanceof RuntimeHttpError && error.status === 404) return [];
      throw error;
    }
  }

  async stats(container: ContainerRef): Promise<ResourceStats | null> {
    const id = container.externalId;
    try {
      const doc = await this.json<DockerStats>(`/containers/${encodeURIComponent(id)}/stats?stream=false`);
      return statsFromDocker(doc, new Date());
    } catch (error) {
      if (error instanceof RuntimeHttpError && (error.status === 404 || error.status === 409)) return null;
      throw error;
    }
  }
}
