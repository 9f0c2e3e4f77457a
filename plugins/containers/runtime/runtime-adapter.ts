/**
 * One interface over the container runtimes the server watches itself (Docker Engine, Kubernetes).
 * Agents push through the SLA plugin's operator API instead and have no adapter here. Every call has
 * a total deadline; streams end when their signal aborts.
 */

export type RuntimeKind = 'docker' | 'kubernetes';
export type ContainerState = 'created' | 'running' | 'restarting' | 'paused' | 'exited' | 'dead' | 'removing' | 'removed' | 'unknown';
export type ContainerHealth = 'healthy' | 'unhealthy' | 'starting' | null;

/** A container as a runtime describes it, in the model both runtimes (and agents) land in. */
export interface RuntimeContainer {
  /** The runtime's id: Docker's container id, `<pod uid>/<container name>` on Kubernetes. */
  externalId: string;
  name: string;
  image: string;
  /** The image's content digest as running (`sha256:…`), when known. */
  imageDigest: string | null;
  state: ContainerState;
  health: ContainerHealth;
  labels: Record<string, string>;
  /** Docker compose project and service, from their labels. */
  composeProject: string | null;
  composeService: string | null;
  /** Kubernetes namespace and owning workload (deployment, statefulset, daemonset, …). */
  namespace: string | null;
  workloadKind: string | null;
  workloadName: string | null;
  host: string | null;
  createdAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  exitCode: number | null;
  restartCount: number;
}

/** What the runtime reported happening to a container. */
export type RuntimeEvent =
  | { kind: 'state'; externalId: string; state: ContainerState; at: Date; exitCode?: number | null; reason?: string; container?: RuntimeContainer }
  | { kind: 'health'; externalId: string; health: Exclude<ContainerHealth, null>; at: Date }
  | { kind: 'changed'; externalId: string; at: Date; container: RuntimeContainer }
  | { kind: 'workload'; at: Date; workload: RuntimeWorkload };

export interface LogLine {
  stream: 'stdout' | 'stderr';
  /** RFC 3339 time the runtime stamped, when it did. */
  at: string | null;
  message: string;
}

export interface LogQuery {
  /** Last lines (at most). */
  tail: number;
  /** Only lines from this time on. */
  since?: Date;
}

/** One resource reading of a container. */
export interface ResourceStats {
  at: Date;
  cpuPercent: number;
  memoryBytes: number;
  memoryLimitBytes: number | null;
  networkRxBytes: number;
  networkTxBytes: number;
  blockReadBytes: number;
  blockWriteBytes: number;
  pids: number | null;
}

/** Where the adapter stands, for `GET /api/v1/runtime/status`. */
export interface RuntimeInfo {
  kind: RuntimeKind;
  endpoint: string;
  apiVersion: string | null;
  serverVersion: string | null;
}

/** Which container a call is about: enough for either runtime to address it without a listing. */
export interface ContainerRef {
  externalId: string;
  name: string;
  namespace: string | null;
}

/** A Kubernetes workload (deployment, statefulset, daemonset) with its replica counts. */
export interface RuntimeWorkload {
  namespace: string;
  kind: 'deployment' | 'statefulset' | 'daemonset';
  name: string;
  replicas: number;
  readyReplicas: number;
  /** Deleted from the cluster (in a watch event). */
  removed?: boolean;
}

export interface RuntimeAdapter {
  readonly kind: RuntimeKind;
  /** Connects (negotiating the API version) and says what it found. */
  connect(): Promise<RuntimeInfo>;
  /**
   * Every container the runtime knows, stopped ones included, as of `at` (the runtime's clock when the
   * listing began); `cursor` continues `watch` from there, so events after `at` are not missed.
   */
  list(): Promise<{ containers: RuntimeContainer[]; workloads: RuntimeWorkload[]; cursor: string; at: Date }>;
  /**
   * Streams events after `cursor` until `signal` aborts or the stream drops (then it returns, and a
   * new call with the last cursor continues without a gap). `onEvent` is awaited before the next one.
   * Throws RuntimeCursorExpired when the runtime no longer keeps history that old: list again.
   */
  watch(cursor: string, onEvent: (event: RuntimeEvent, cursor: string) => Promise<void>, signal: AbortSignal): Promise<string>;
  logs(container: ContainerRef, query: LogQuery): Promise<LogLine[]>;
  /** Live log lines until `signal` aborts. */
  followLogs(container: ContainerRef, query: LogQuery, onLine: (line: LogLine) => void, signal: AbortSignal): Promise<void>;
  /** A reading, or null when the container has none (not running). */
  stats(container: ContainerRef): Promise<ResourceStats | null>;
  /**
   * The registry digests (`repo@sha256:…`) of the image a container runs, for update checks: what a
   * registry's manifest digest is compared with. Kubernetes reports it with the pod (imageDigest).
   */
  imageRepoDigests?(imageId: string): Promise<string[]>;
}

/** Label values a runtime carries for docker compose. */
export const composeProjectLabel = 'com.docker.compose.project';
export const composeServiceLabel = 'com.docker.compose.service';

/** The most log lines one answer holds. */
export const maxLogLines = 5000;

/** The runtime has no history from the cursor on (Kubernetes' 410 Gone): the caller lists again. */
export class RuntimeCursorExpired extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuntimeCursorExpired';
  }
}
