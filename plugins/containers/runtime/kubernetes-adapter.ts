import {
  type ContainerHealth,
  type ContainerRef,
  type ContainerState,
  type LogLine,
  type LogQuery,
  maxLogLines,
  type ResourceStats,
  type RuntimeAdapter,
  type RuntimeContainer,
  RuntimeCursorExpired,
  type RuntimeEvent,
  type RuntimeInfo,
  type RuntimeWorkload,
} from './runtime-adapter.ts';
import { jsonDocuments, openRuntimeStream, type RuntimeEndpoint, RuntimeHttpError, runtimeJson } from './runtime-http.ts';

export interface KubernetesOptions {
  /** The API server, e.g. `https://kubernetes.default.svc`. */
  apiServer: string;
  /** The service account's bearer token. */
  token: string;
  /** The cluster's CA certificate (PEM). */
  ca?: string | Buffer;
  /** Watch one namespace only (default: all the token may list). */
  namespace?: string;
  callDeadlineMs?: number;
  /** Longest a watch stays open; the server is asked to end it first (`timeoutSeconds`). Default 5 min. */
  streamDeadlineMs?: number;
}

interface Meta {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  ownerReferences?: { kind: string; name: string }[];
}
interface ContainerStatus {
  name: string;
  image?: string;
  imageID?: string;
  ready?: boolean;
  restartCount?: number;
  state?: {
    running?: { startedAt?: string };
    waiting?: { reason?: string };
    terminated?: { exitCode?: number; reason?: string; startedAt?: string; finishedAt?: string };
  };
}
interface Pod {
  metadata: Meta;
  spec?: { nodeName?: string; containers?: { name: string; image?: string; readinessProbe?: unknown }[] };
  status?: { containerStatuses?: ContainerStatus[] };
}
interface Workload {
  metadata: Meta;
  spec?: { replicas?: number };
  status?: { replicas?: number; readyReplicas?: number; desiredNumberScheduled?: number; numberReady?: number };
}
interface List<T> {
  metadata: { resourceVersion: string };
  items: T[];
}

const resources = {
  pods: '/api/v1',
  deployments: '/apis/apps/v1',
  statefulsets: '/apis/apps/v1',
  daemonsets: '/apis/apps/v1',
} as const;
type Resource = keyof typeof resources;
const workloadKind = { deployments: 'deployment', statefulsets: 'statefulset', daemonsets: 'daemonset' } as const;

const time = (value: string | undefined) => (value && !Number.isNaN(Date.parse(value)) ? new Date(value) : null);

/** The workload a pod belongs to: a ReplicaSet's deployment (its name less the template hash), or the owner itself. */
function ownerOf(pod: Pod): { kind: string | null; name: string | null } {
  const owner = pod.metadata.ownerReferences?.[0];
  if (!owner) return { kind: null, name: null };
  const hash = pod.metadata.labels?.['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) return { kind: 'deployment', name: owner.name.slice(0, -hash.length - 1) };
  return { kind: owner.kind.toLowerCase(), name: owner.name };
}

/** One model container per container of a pod. */
export function containersOfPod(pod: Pod, removed = false): RuntimeContainer[] {
  const owner = ownerOf(pod);
  const statuses = new Map((pod.status?.containerStatuses ?? []).map((s) => [s.name, s]));
  return (pod.spec?.containers ?? []).map((spec) => {
    const status = statuses.get(spec.name);
    const st = status?.state ?? {};
    let state: ContainerState = 'created';
    if (st.running) state = 'running';
    else if (st.terminated) state = 'exited';
    else if (st.waiting?.reason === 'CrashLoopBackOff') state = 'restarting';
    if (removed) state = 'removed';
    let health: ContainerHealth = null;
    if (state === 'running' && spec.readinessProbe) health = status?.ready ? 'healthy' : 'unhealthy';
    const digest = /sha256:[0-9a-f]{64}/.exec(status?.imageID ?? '');
    return {
      externalId: `${pod.metadata.uid}/${spec.name}`,
      name: `${pod.metadata.name}/${spec.name}`,
      image: spec.image ?? status?.image ?? '',
      imageDigest: digest ? digest[0] : null,
      state,
      health,
      labels: pod.metadata.labels ?? {},
      composeProject: null,
      composeService: null,
      namespace: pod.metadata.namespace,
      workloadKind: owner.kind,
      workloadName: owner.name,
      host: pod.spec?.nodeName ?? null,
      createdAt: time(pod.metadata.creationTimestamp),
      startedAt: time(st.running?.startedAt ?? st.terminated?.startedAt),
      finishedAt: time(st.terminated?.finishedAt),
      exitCode: st.terminated?.exitCode ?? null,
      restartCount: status?.restartCount ?? 0,
    };
  });
}

function workloadOf(resource: Exclude<Resource, 'pods'>, w: Workload, removed = false): RuntimeWorkload {
  const daemon = resource === 'daemonsets';
  return {
    namespace: w.metadata.namespace,
    kind: workloadKind[resource],
    name: w.metadata.name,
    replicas: (daemon ? w.status?.desiredNumberScheduled : (w.spec?.replicas ?? w.status?.replicas)) ?? 0,
    readyReplicas: (daemon ? w.status?.numberReady : w.status?.readyReplicas) ?? 0,
    ...(removed ? { removed: true } : {}),
  };
}

/** Kubernetes quantities: CPU (`250m`, `12345n`, `1`) in cores, memory (`128Mi`, `1G`, `1024`) in bytes. */
export function parseQuantity(value: string): number {
  const match = /^([0-9.]+)([a-zA-Z]*)$/.exec(value.trim());
  if (!match) return 0;
  const n = Number(match[1]);
  const factors: Record<string, number> = {
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    '': 1,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
  };
  return n * (factors[match[2]] ?? 1);
}

/**
 * The Kubernetes API with a service-account token: pods (each container one model container),
 * deployments, statefulsets and daemonsets; list, then watch from the list's resourceVersion.
 * The cursor holds one resourceVersion per resource.
 */
export class KubernetesAdapter implements RuntimeAdapter {
  readonly kind = 'kubernetes' as const;
  private readonly endpoint: RuntimeEndpoint;

  constructor(private readonly options: KubernetesOptions) {
    this.endpoint = { baseUrl: options.apiServer, ca: options.ca, headers: { authorization: `Bearer ${options.token}` } };
  }

  private get deadline() {
    return this.options.callDeadlineMs ?? 10_000;
  }

  private path(resource: Resource, query = ''): string {
    const ns = this.options.namespace ? `/namespaces/${encodeURIComponent(this.options.namespace)}` : '';
    return `${resources[resource]}${ns}/${resource}${query}`;
  }

  private json<T>(path: string): Promise<T> {
    return runtimeJson<T>(this.endpoint, { path, deadlineMs: this.deadline });
  }

  async connect(): Promise<RuntimeInfo> {
    const version = await this.json<{ gitVersion?: string }>('/version');
    return { kind: 'kubernetes', endpoint: this.options.apiServer, apiVersion: 'v1', serverVersion: version.gitVersion ?? null };
  }

  async list() {
    // Taken before the lists are read: a removal the listing implies is as of then, never later
    // than a state the watch may already have recorded from the pods' own times.
    const at = new Date();
    const [pods, ...workloadLists] = await Promise.all([
      this.json<List<Pod>>(this.path('pods')),
      this.json<List<Workload>>(this.path('deployments')),
      this.json<List<Workload>>(this.path('statefulsets')),
      this.json<List<Workload>>(this.path('daemonsets')),
    ]);
    const kinds = ['deployments', 'statefulsets', 'daemonsets'] as const;
    const workloads = workloadLists.flatMap((list, i) => list.items.map((w) => workloadOf(kinds[i], w)));
    const cursor = JSON.stringify({
      pods: pods.metadata.resourceVersion,
      ...Object.fromEntries(kinds.map((kind, i) => [kind, workloadLists[i].metadata.resourceVersion])),
    });
    return { containers: pods.items.flatMap((pod) => containersOfPod(pod)), workloads, cursor, at };
  }

  async watch(cursor: string, onEvent: (event: RuntimeEvent, cursor: string) => Promise<void>, signal: AbortSignal): Promise<string> {
    const versions = JSON.parse(cursor) as Record<Resource, string>;
    const streamMs = this.options.streamDeadlineMs ?? 300_000;
    // Events of the four watches are handed on one at a time, in the order they arrive.
    let chain = Promise.resolve();
    const handOn = (event: RuntimeEvent | undefined, resource: Resource, version: string) => {
      chain = chain.then(async () => {
        versions[resource] = version;
        if (event) await onEvent(event, JSON.stringify(versions));
      });
      return chain;
    };
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const watchOne = async (resource: Resource) => {
      const query = `?watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(versions[resource])}&timeoutSeconds=${Math.max(1, Math.floor(streamMs / 1000) - 1)}`;
      let opened: Awaited<ReturnType<typeof openRuntimeStream>>;
      try {
        opened = await openRuntimeStream(this.endpoint, { path: this.path(resource, query), deadlineMs: streamMs, signal: stop.signal });
      } catch (error) {
        // Another watch of the four ended first (or the caller stopped): nothing to report.
        if (stop.signal.aborted) return;
        stop.abort();
        throw error;
      }
      const { response, close } = opened;
      try {
        if (response.statusCode === 410) throw new RuntimeCursorExpired(`${resource}: resourceVersion ${versions[resource]} is too old`);
        if ((response.statusCode ?? 0) >= 300) throw new RuntimeHttpError(`${resource} watch: ${response.statusCode}`, response.statusCode);
        for await (const doc of jsonDocuments(response)) {
          const { type, object } = doc as { type: string; object: Pod & Workload & { code?: number; message?: string } };
          if (type === 'ERROR') {
            if (object.code === 410) throw new RuntimeCursorExpired(`${resource}: ${object.message ?? 'resourceVersion too old'}`);
            throw new RuntimeHttpError(`${resource} watch: ${object.message ?? 'error'}`, object.code);
          }
          const version = object.metadata?.resourceVersion ?? versions[resource];
          const at = new Date();
          if (type === 'BOOKMARK') await handOn(undefined, resource, version);
          else if (resource === 'pods') {
            for (const container of containersOfPod(object, type === 'DELETED')) {
              await handOn({ kind: 'changed', externalId: container.externalId, at, container }, resource, version);
            }
          } else await handOn({ kind: 'workload', at, workload: workloadOf(resource, object, type === 'DELETED') }, resource, version);
        }
      } catch (error) {
        if (error instanceof RuntimeCursorExpired || (error instanceof RuntimeHttpError && error.status)) throw error;
        // A dropped stream: this watch ends; the others are stopped so the caller reconnects all from the cursor.
      } finally {
        close();
        stop.abort();
      }
    };
    try {
      await Promise.all((Object.keys(resources) as Resource[]).map(watchOne));
    } finally {
      signal.removeEventListener('abort', onAbort);
      await chain;
    }
    return JSON.stringify(versions);
  }

  private logPath(container: ContainerRef, query: LogQuery, follow: boolean): string {
    const [pod, name] = container.name.split('/');
    const params = new URLSearchParams({ container: name ?? pod, timestamps: 'true', tailLines: String(Math.min(query.tail, maxLogLines)) });
    if (query.since) params.set('sinceTime', query.since.toISOString().replace(/\.\d{3}Z$/, 'Z'));
    if (follow) params.set('follow', 'true');
    return `/api/v1/namespaces/${encodeURIComponent(container.namespace ?? 'default')}/pods/${encodeURIComponent(pod)}/log?${params}`;
  }

  private static line(text: string): LogLine {
    const space = text.indexOf(' ');
    const stamp = space > 0 ? text.slice(0, space) : '';
    return /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(stamp)
      ? { stream: 'stdout', at: stamp, message: text.slice(space + 1) }
      : { stream: 'stdout', at: null, message: text };
  }

  async logs(container: ContainerRef, query: LogQuery): Promise<LogLine[]> {
    const lines: LogLine[] = [];
    await this.readLines(this.logPath(container, query, false), this.deadline, (line) => lines.push(line));
    return lines.slice(-Math.min(query.tail, maxLogLines));
  }

  async followLogs(container: ContainerRef, query: LogQuery, onLine: (line: LogLine) => void, signal: AbortSignal): Promise<void> {
    await this.readLines(this.logPath(container, query, true), this.options.streamDeadlineMs ?? 300_000, onLine, signal);
  }

  private async readLines(path: string, deadlineMs: number, onLine: (line: LogLine) => void, signal?: AbortSignal) {
    const { response, close } = await openRuntimeStream(this.endpoint, { path, deadlineMs, signal });
    try {
      if ((response.statusCode ?? 0) >= 300) throw new RuntimeHttpError(`pod log: ${response.statusCode}`, response.statusCode);
      let partial = '';
      for await (const chunk of response) {
        const parts = (partial + (chunk as Buffer).toString('utf8')).split('\n');
        partial = parts.pop() ?? '';
        for (const part of parts) onLine(KubernetesAdapter.line(part));
      }
      if (partial) onLine(KubernetesAdapter.line(partial));
    } catch (error) {
      if (error instanceof RuntimeHttpError && error.status) throw error;
      if (!signal?.aborted) throw error instanceof RuntimeHttpError ? error : new RuntimeHttpError(`pod log: ${(error as Error).message}`);
    } finally {
      close();
    }
  }

  /** From metrics-server (`metrics.k8s.io`): CPU and memory only; null where it has no reading. */
  async stats(container: ContainerRef): Promise<ResourceStats | null> {
    const [pod, name] = container.name.split('/');
    try {
      const metrics = await this.json<{ timestamp?: string; containers?: { name: string; usage: { cpu?: string; memory?: string } }[] }>(
        `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(container.namespace ?? 'default')}/pods/${encodeURIComponent(pod)}`,
      );
      const usage = metrics.containers?.find((c) => c.name === name)?.usage;
      if (!usage) return null;
      return {
        at: time(metrics.timestamp) ?? new Date(),
        cpuPercent: Math.round(parseQuantity(usage.cpu ?? '0') * 10_000) / 100,
        memoryBytes: Math.round(parseQuantity(usage.memory ?? '0')),
        memoryLimitBytes: null,
        networkRxBytes: 0,
        networkTxBytes: 0,
        blockReadBytes: 0,
        blockWriteBytes: 0,
        pids: null,
      };
    } catch (error) {
      if (error instanceof RuntimeHttpError && error.status === 404) return null;
      throw error;
    }
  }
}
