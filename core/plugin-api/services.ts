import type { Tx } from '../db/sql-handles.ts';
import type { JsonSchema } from './types.ts';

export type { DatabaseService, TenantDatabase, PlatformDatabase, SqlHandle, SqlQuery, Tx } from '../db/sql-handles.ts';
export type { ReplicationMessage, ReplicationOptions, ReplicationStream } from '../db/logical-replication.ts';

/** Queues jobs declared in any plugin's manifest; payloads are validated first. */
export interface JobsService {
  send(queue: string, payload?: object, options?: { startAfterSeconds?: number; singletonKey?: string }): Promise<string | null>;
}

/** Runs a declared worker task (`<plugin>.<task>`) on the shared worker-thread pool. */
export interface WorkerRunOptions {
  /**
   * Move, rather than copy, the typed arrays at the top level of the input to the worker thread,
   * and those of the output back: for large numeric inputs (a chunk of series) the copies would
   * otherwise keep the calling thread busy while the pool works. The caller must not touch the
   * input's arrays afterwards (they are detached).
   */
  transfer?: boolean;
}

export interface WorkersService {
  run<Input, Output>(task: string, input: Input, options?: WorkerRunOptions): Promise<Output>;
}

export interface SchemaValidator {
  /** Throws AppError(validation_failed) with ajv's details when `value` does not match. */
  assert(schema: JsonSchema, value: unknown): void;
}

/**
 * What plugins learn of the platform's configuration. Secrets (the JWT secret, the database URL,
 * the admin password, the license key) are not part of it, and a plugin's own settings come
 * through its manifest's `config` and `ctx.config`.
 */
export interface ConfigService {
  readonly env: 'development' | 'production' | 'test';
  /** External base URL for links, when configured. */
  readonly publicUrl?: string;
  /**
   * `path` (from `/`) as an absolute URL: on ITOPS_PUBLIC_URL, or, when that is unset, on the origin
   * of the request being served (the listening address outside a request). Every link the API
   * returns goes through it, so none is relative.
   */
  absoluteUrl(path: string): string;
  /** Whether this node runs job workers and periodic work. */
  readonly jobsEnabled: boolean;
  /** Host names outbound calls may reach even on private addresses. */
  readonly outboundHostAllowlist: readonly string[];
  /** Development only: outbound calls may reach private addresses. */
  readonly outboundAllowPrivate: boolean;
}

/** An event as subscribers receive it. */
export interface PlatformEvent {
  id: string;
  topic: string;
  tenantId: string | null;
  payload: unknown;
  createdAt: string;
}

/**
 * The transactional outbox. `publish` writes the event in the caller's transaction: it is
 * delivered, to every node, only if that transaction commits.
 */
export interface EventsService {
  publish(tx: Tx, event: { topic: string; tenantId?: string | null; payload: unknown }): Promise<string>;
  /** Many events in one go (a fixed number of statements, whatever their number): for mass changes. Same guarantees as publish. */
  publishMany(tx: Tx, events: { topic: string; tenantId?: string | null; payload: unknown }[]): Promise<string[]>;
  subscribe(handler: (event: PlatformEvent) => void, filter?: { tenantId?: string; topics?: ReadonlySet<string> }): () => void;
  /**
   * The same events as an async iterator, what a GraphQL subscription's `subscribe` returns. Each
   * iterator buffers a bounded number of events; one that falls further behind ends with an error.
   */
  iterate(filter: { tenantId?: string; topics?: ReadonlySet<string> }): AsyncIterableIterator<PlatformEvent>;
}

/**
 * Outbound HTTP on a user's behalf (webhooks, channels, workflow steps), through the SSRF guard:
 * private, loopback, link-local and metadata addresses are refused (OutboundBlockedError) before any
 * socket opens, redirects are re-checked, time and response size are bounded.
 */
export interface OutboundRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs?: number;
  maxResponseBytes?: number;
  maxRedirects?: number;
  /** Abandons the request when it aborts (e.g. a cancelled workflow execution): the request rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  url: string;
}

export interface OutboundHttpService {
  request(url: string, options?: OutboundRequest): Promise<OutboundResponse>;
}

/**
 * The plugin's own secrets, encrypted at rest (AES-256-GCM envelope encryption). Names are the
 * plugin's: `read(tenant, 'slack_url')` reads the workspace secret `<pluginId>.slack_url`, which
 * admins set with `POST /api/v1/workspace/secrets/<pluginId>.slack_url`. Every read and write is
 * published (`secrets.read`, `secrets.written`) in its transaction, for the audit trail.
 */
export interface SecretsService {
  /**
   * The workspace's secret (`tenantId` null: the platform's), or undefined when it is not set. Within `tx` when
   * given: a transaction of that workspace (a platform one for the platform's), since the read's event joins it.
   */
  read(tenantId: string | null, name: string, tx?: Tx): Promise<string | undefined>;
  /**
   * The secret for checking the signature of an inbound call, with no `secrets.read` event: the
   * value never leaves the process, and unauthenticated callers reach the check, so an event per
   * call would let anyone grow a workspace's audit trail. Anything shown or sent uses `read`.
   */
  readToVerify(tenantId: string | null, name: string): Promise<string | undefined>;
  /** Sets the secret (a new version). Within `tx` when given, so it commits or rolls back with the caller's change. */
  write(tenantId: string | null, name: string, value: string, tx?: Tx): Promise<{ version: number }>;
}

/**
 * The plugin's section of the settings, with the defaults its manifest's `settings` declares filled
 * in. Cached per node and refreshed on every node when someone changes them (`settings.changed`).
 */
export interface SettingsService {
  workspace(tenantId: string): Promise<Record<string, unknown>>;
  platform(): Promise<Record<string, unknown>>;
}
