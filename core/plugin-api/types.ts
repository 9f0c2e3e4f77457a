import type { SqlMigration } from '../db/sql-migrator.ts';
export type { SqlMigration } from '../db/sql-migrator.ts';
import type { Readable } from 'node:stream';
import type { ServiceToken } from './tokens.ts';
import type { Tx } from '../db/sql-handles.ts';

/** JSON Schema (draft 2020-12, as OpenAPI 3.1 uses it). */
export type JsonSchema = Record<string, unknown>;

/** Who is calling. Filled in by the identity layer; `null` for anonymous callers of public routes. */
export interface Principal {
  /** `session`: a session a plugin issued and authenticates itself (a client-portal session, see tokens.bearerTokens). */
  kind: 'user' | 'api_key' | 'system' | 'session';
  /** User id (uuid) or API key id. */
  id: string;
  /** The user's email, or the API key's name. */
  name?: string;
  /** The workspace the principal acts in when it has exactly one (API keys always do). */
  tenantId?: string;
  /** Role per workspace the principal belongs to. */
  memberships: { tenantId: string; role: string }[];
  platformAdmin: boolean;
}

/** What a handler sees of a request: parsed, validated and typed by the contract. */
export interface OperationRequest<Body = unknown, Params = Record<string, string>, Query = Record<string, unknown>> {
  operationId: string;
  method: string;
  path: string;
  params: Params;
  query: Query;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON, form or text; for an operation with `x-raw-body`, a Buffer of the body's first `keepBytes` bytes. */
  body: Body;
  rawBody?: string;
  /** For an operation with `x-raw-body`: the body's full size in bytes (it may be more than `body` kept). */
  bodyBytes?: number;
  principal: Principal | null;
  tenantId?: string;
  correlationId: string;
  /** The client's address (X-Forwarded-For is honoured only with ITOPS_TRUST_PROXY=true). */
  clientAddress: string;
  /** Aborted when the client goes away (streaming responses stop on it). */
  signal: AbortSignal;
  /**
   * For an operation with `x-raw-body: { stream: true, maxBytes }`: the body itself, unread, for
   * uploads too large to hold (imports); it errors with 413 past `maxBytes`.
   */
  bodyStream?: Readable;
}

/** A handler's answer. A plain value means 200 with that JSON body. */
export interface OperationResponse {
  status?: number;
  headers?: Record<string, string>;
  /** JSON-serialisable value, string, Buffer or a stream (for large or live results). */
  body?: unknown | string | Buffer | Readable;
}

export type OperationHandler = (request: OperationRequest<any, any, any>) => Promise<OperationResponse | unknown> | OperationResponse | unknown;

/** One operation's types as generated from a contract (`contract.types.ts`, `OperationTypes`). */
export interface ContractOperation {
  request: { path?: object; query?: object; headers?: object; body?: unknown };
  response: unknown;
}

type Part<Request, Key extends string, Otherwise> = Request extends { [K in Key]?: infer P } ? Exclude<P, undefined> : Otherwise;

/** A handler typed by its operation: request body, path and query as the contract declares them, its success body as the answer. */
export type ContractHandler<Operation extends ContractOperation> = (
  request: OperationRequest<
    Part<Operation['request'], 'body', unknown>,
    Part<Operation['request'], 'path', Record<string, string>>,
    Part<Operation['request'], 'query', Record<string, unknown>>
  >,
) => Promise<Operation['response'] | OperationResponse> | Operation['response'] | OperationResponse;

/**
 * Handlers for some of a contract's operations, each typed by it:
 * `const handlers: ContractHandlers<OperationTypes, 'listNotes' | 'createNote'> = { … }`.
 */
export type ContractHandlers<Operations extends { [Id in keyof Operations]: ContractOperation }, Ids extends keyof Operations = keyof Operations> = {
  [Id in Ids]: ContractHandler<Operations[Id]>;
};

export type Resolver = (parent: any, args: any, context: GraphQLContext, info: unknown) => unknown;

export interface GraphQLContext {
  principal: Principal | null;
  clientAddress: string;
  /** The workspace a successful `authorize` (or the field's declared permission) checked; never the raw header. */
  tenantId?: string;
  correlationId: string;
  /** The same permission check the HTTP router applies to `x-permission`; resolves to the workspace acted in. */
  authorize(permission: string): Promise<string | undefined>;
}

export interface JobDeclaration {
  /** Queue name inside the plugin; the kernel prefixes the plugin id (`<plugin>.<name>`). */
  name: string;
  /** Cron expression (5 or 6 fields, UTC) for scheduled jobs; omit for on-demand jobs. */
  schedule?: string;
  /** Payloads are validated against this before they are queued. */
  payloadSchema?: JsonSchema;
  retry?: { limit?: number; delaySeconds?: number; backoff?: boolean };
  /** Seconds a job may run before it counts as failed and is retried. */
  expireInSeconds?: number;
  /** Jobs of this queue one node runs at once (default 2): more for short jobs that mostly wait on the database or the network. */
  concurrency?: number;
  /** Plugins that require this one may send to this queue too (by default only its owner may). */
  exported?: boolean;
}

export interface JobContext {
  id: string;
  name: string;
  attempt: number;
  /**
   * Aborts when the job's claim is lost or it ran past its expiry, and when the node stops and its
   * shutdown wait is over: a handler that heeds it can give its work back (deliveries do).
   */
  signal: AbortSignal;
}

export type JobHandler<Payload = any> = (payload: Payload, job: JobContext) => Promise<void> | void;

export interface WorkerTaskDeclaration {
  /** Task name inside the plugin; run it as `<plugin>.<name>` through the worker pool. */
  name: string;
  /** The module that holds the task: a pure function of its input (no DI, no database). */
  module: URL;
  /** Export to call; default `default`. */
  export?: string;
}

export interface PermissionDeclaration {
  /** `<pluginId>[.<resource>]:<action>`, e.g. `containers.heartbeats:write`. */
  name: string;
  description: string;
}

export interface PolicyDeclaration {
  role: string;
  permission: string;
}

/**
 * One environment variable a plugin reads, as a JSON schema with a description (the README's
 * configuration table is written from it). Named `ITOPS_<PLUGIN ID>_<NAME>`.
 */
export interface PluginConfigVariable {
  type: 'string' | 'integer' | 'number' | 'boolean';
  description: string;
  default?: string | number | boolean;
  enum?: readonly (string | number)[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
}

export type PluginConfigValues = Readonly<Record<string, string | number | boolean | undefined>>;

export interface EventDeclaration {
  /** `<pluginId>.<name>`, or a name the public contract fixed in a namespace listed in `topicNamespaces`. */
  topic: string;
  description?: string;
  payloadSchema?: JsonSchema;
  /** Plugins that require this one may publish this topic too (by default only its owner may). */
  exported?: boolean;
}

/** Contributions, declared as data: the kernel validates and merges them before anything runs. */
export interface PluginManifest {
  id: string;
  version: string;
  /** semver range of the itops host this plugin supports. */
  host: string;
  requires?: string[];
  /**
   * Plugins whose services this one uses when they are loaded (`ctx.find`), and does without when
   * they are not; unlike `requires`, their absence leaves this plugin on.
   */
  optionalRequires?: string[];
  /**
   * Topic namespaces (the part before the first `.` or `:`) this plugin owns besides its id: for
   * topic names the public contract already fixed, such as `heartbeat` for `heartbeat.pinged`.
   * No two plugins may own the same namespace.
   */
  topicNamespaces?: string[];
  /** OpenAPI 3.1 fragment: an object, or a file URL of a YAML/JSON document. */
  openapi?: URL | Record<string, unknown>;
  /** GraphQL SDL (type extensions of Query/Mutation/Subscription and new types). */
  graphql?: string | URL;
  /**
   * Plain SQL migrations, run when the plugin loads (recorded as `<id>/<name>`): a folder of
   * `NNNN-name.sql` files (with optional `NNNN-name.down.sql`), or the list itself. Every table with
   * a `tenant_id` column gets row-level security automatically.
   */
  migrations?: URL | SqlMigration[];
  jobs?: JobDeclaration[];
  workerTasks?: WorkerTaskDeclaration[];
  permissions?: PermissionDeclaration[];
  policies?: PolicyDeclaration[];
  events?: EventDeclaration[];
  /**
   * The plugin's own environment variables, validated when it loads (a bad value leaves the plugin
   * off with the reason) and read through `ctx.config`.
   */
  config?: Record<string, PluginConfigVariable>;
  /**
   * Kinds of rows this plugin lets a workspace import (`POST /api/v1/imports`) and export
   * (`POST /api/v1/exports`). Declared as data so the core lists, validates and streams them
   * without knowing the plugin; names are unique across plugins.
   */
  importKinds?: ImportKindDeclaration[];
  /**
   * The plugin's counters on `GET /api/v1/dashboard/summary`: the core runs every plugin's
   * function at once (one round of parallel queries), each in a transaction of the workspace.
   */
  dashboardCounters?: DashboardCounters;
  /**
   * The plugin's section of the platform's and of each workspace's settings
   * (`/api/v1/platform/settings`, `/api/v1/workspace/settings`), as JSON schemas with defaults:
   * the core validates changes against them and serves the values, defaults filled in, through
   * `tokens.settings`. Declared as data so the settings API documents them without running the plugin.
   */
  settings?: SettingsDeclaration;
  /**
   * This plugin sees every change of every plugin (audit): declared as data so that a reviewer, and
   * the kernel, know which plugins may call `ctx.observeMutations`.
   */
  observesMutations?: boolean;
  /**
   * Pages this plugin adds to the web console, declared as data: the console lists them from
   * `GET /api/v1/console/pages` while the plugin is loaded, so an unlicensed plugin's pages
   * disappear with its routes.
   */
  console?: ConsoleDeclaration;
  init(context: PluginContext): void | Promise<void>;
}

/** A plugin's contribution to the web console. */
export interface ConsoleDeclaration {
  pages: ConsolePageDeclaration[];
}

/** One console page: where it lives, its navigation entry, who sees it and what it lists. */
export interface ConsolePageDeclaration {
  /** Under `/console/`: lowercase words and dashes, `/` between them (`tickets`, `sla/groups`). */
  path: string;
  title: string;
  /** The navigation section it is listed under (`Monitoring`, `Service desk`). */
  navGroup: string;
  /** One of the plugin's own permissions (usually its read permission): users without it do not see the page. */
  permission: string;
  /** A parameterless `GET` list path of the plugin's contract whose rows the page shows as a table. */
  list?: string;
  /** Row fields shown as the table's columns, in order (the first few fields when left out). */
  columns?: string[];
  /**
   * A `POST` operation of the plugin's contract (by operationId, with a JSON request body) the page
   * offers as a form built from its request schema; `label` is its button (`New ticket`).
   */
  create?: { operation: string; label: string };
  /**
   * What a row's own page offers beside its fields, edit and delete (which come from the contract's
   * `GET`, `PATCH` and `DELETE` at `<list>/{id}`): `actions`, operations on the row by operationId
   * (`POST <list>/{id}/…`, a button with a form when it takes a body), and `lists` that belong to it
   * (`GET <list>/{id}/…`), shown as tables.
   */
  record?: {
    actions?: { operation: string; label: string }[];
    lists?: { operation: string; title: string; columns?: string[] }[];
  };
}

/** A plugin's settings sections: each a JSON schema of `type: 'object'` whose properties carry their `default`. */
export interface SettingsDeclaration {
  platform?: JsonSchema;
  workspace?: JsonSchema;
}

/**
 * One importable and exportable kind of row (services, heartbeats, …). The core parses the file
 * (CSV, JSON, NDJSON, YAML), validates each row against `rowSchema` and hands valid rows to
 * `upsert` in batches; exports stream what `read` yields. Both run in the workspace's transaction
 * (row-level security holds the tenant), so a plugin never names the tenant itself.
 */
export interface ImportKindDeclaration<Row extends Record<string, unknown> = Record<string, any>> {
  /** `[a-z][a-z0-9_]*`, e.g. `services`; what clients send as `kind`. */
  name: string;
  description: string;
  /**
   * JSON schema of one row: an object whose `properties` (in order) are also the CSV columns. Rows
   * from CSV are coerced to the declared types first; empty CSV cells count as absent.
   */
  rowSchema: JsonSchema;
  /**
   * Inserts or updates valid rows (at most a few hundred per call) by their natural key. Throwing
   * rejects the batch: the core then retries its rows one by one to name the rows at fault.
   */
  upsert(tx: Tx, rows: Row[]): Promise<void>;
  /** The workspace's rows in pages, in a stable order (see `readInPages`); they must match `rowSchema`. */
  read(tx: Tx): AsyncIterable<Row[]>;
}

/** Named counters (`{ servicesDown: 3 }`) a plugin adds to the dashboard summary. */
export type DashboardCounters = (tx: Tx) => Promise<Record<string, number>>;

export type Unregister = () => void | Promise<void>;

/** One gauge of a workspace: its samples, each with its own labels. */
export interface WorkspaceGauge {
  name: string;
  help: string;
  samples: { labels: Record<string, string>; value: number }[];
}

export type MetricsCollector = (workspace: string) => Promise<WorkspaceGauge[]>;

/**
 * What `init` receives. Everything registered through it is recorded by the kernel and undone
 * when the plugin unloads (license expiry, reload), so a plugin never cleans up by hand.
 */
export interface PluginContext {
  readonly pluginId: string;
  readonly logger: PluginLogger;
  /** The values of the variables the manifest's `config` declares, coerced to their types, with defaults. */
  readonly config: PluginConfigValues;
  get<T>(token: ServiceToken<T>): T;
  /**
   * A service a plugin named in `requires` or `optionalRequires` provides, or undefined while that
   * plugin is not loaded (unlicensed, failed, unloaded). Look it up when it is needed, not once in
   * `init`: an optional plugin may load after this one, or unload while it runs.
   */
  find<T>(token: ServiceToken<T>): T | undefined;
  /** Offer a service to plugins that `require` this one. */
  provide<T>(token: ServiceToken<T>, value: T): void;
  handle(operationId: string, handler: OperationHandler): void;
  /**
   * Resolves a GraphQL field. With `permission`, the same check as REST's `x-permission` runs
   * first and the resolver sees the checked workspace in `context.tenantId`.
   */
  resolve(typeName: string, fieldName: string, resolver: Resolver | { subscribe: Resolver; resolve?: Resolver }, options?: { permission?: string }): void;
  /** Handles a job declared in the manifest (`jobs`); it runs once across nodes per queued job. */
  job<Payload>(jobName: string, handler: JobHandler<Payload>): void;
  /**
   * Periodic work with one runner across nodes: `round` runs about every `intervalMs` on whichever
   * node takes the round, never two at once. `wake()` asks for a round now (after a change that
   * makes one due early). Stops when the plugin unloads. Not run where jobs are disabled.
   */
  every(name: string, intervalMs: number, round: (signal: AbortSignal) => Promise<unknown>): { wake(): void };
  /**
   * Gauges for `/metrics`, collected at scrape time for the scraping workspace only (the core adds
   * the `workspace` label). Names start with `itops_<pluginId>_` and never end in `_total`; at most
   * 5000 series per workspace per plugin (the rest is dropped). Removed when the plugin unloads.
   */
  metrics(collect: MetricsCollector): void;
  /** Extra teardown for resources the plugin opened itself (timers, sockets). */
  onUnload(fn: Unregister): void;
  /**
   * Sees every mutation inside its transaction, just before COMMIT: the row changes and events of
   * each transaction a mutating request (POST, PUT, PATCH, DELETE) opens, and the events of any
   * transaction outside requests. Throwing rolls the change back. Only for a manifest that declares
   * `observesMutations`; one observer per plugin. With `rows: false` the observer reads no row
   * changes (`mutation.captured` is false): while no observer reads them, requests run without row
   * capture (its trigger's work, notices and the COMMIT's check), and observers still see every
   * transaction of every mutating request, e.g. to record who did what.
   */
  observeMutations(observer: MutationObserver, options?: { rows?: boolean }): void;
}

export interface PluginLogger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

/** One row a mutation inserted, updated or deleted, as the database captured it (column name to value). */
export interface RowChange {
  table: string;
  op: 'insert' | 'update' | 'delete';
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/** An event published in the observed transaction (security events: `security.*`, `secrets.*`, `license:updated`). */
export interface ObservedEvent {
  id: string;
  topic: string;
  tenantId: string | null;
  payload?: unknown;
}

/** The rows a transaction changed, as captured (see `ObservedMutation.readChanges`). */
export interface CapturedChanges {
  /** Rows of tenant-scoped tables, in the order they changed (at most 100; `dropped` counts the rest). */
  changes: RowChange[];
  dropped: number;
}

/** What a mutation observer sees of one transaction. Request fields are absent outside requests (jobs, boot). */
export interface ObservedMutation {
  /** The request's operationId; null for a transaction outside any mutating request. */
  operationId: string | null;
  method?: string;
  path?: string;
  params: Record<string, unknown>;
  principal: Principal | null;
  /** The workspace the request acted in (as authorized). */
  requestTenantId?: string;
  /** The transaction's tenant; null for a platform transaction (whose rows carry their own tenant_id). */
  tenantId: string | null;
  correlationId?: string;
  clientAddress?: string;
  /** Whether rows were captured: the transaction belongs to a mutating request and an observer reads rows. */
  captured: boolean;
  /** The transaction belongs to a mutating request (POST, PUT, PATCH, DELETE, a GraphQL mutation): its rows are that request's change. */
  mutating: boolean;
  /**
   * The rows the transaction changed (later calls answer the same). They usually came with the
   * answers of the statements that changed them (the capture trigger's notices), so this costs no
   * round trip; after a rollback to a savepoint, or past 100 rows, they are read from the database
   * (one). An observer can also read them in SQL sent with the COMMIT (`atCommit`), through
   * `itops_captured_changes()` (rows of `ordinal`, `change`: a RowChange as jsonb) and
   * `itops_changes_dropped()`.
   */
  readChanges(): Promise<CapturedChanges>;
  events: ObservedEvent[];
  /** Request body properties the contract marks secret (`writeOnly`, `format: password`, `x-secret`). */
  secretFields: ReadonlySet<string>;
}

/** A value of a statement sent with the COMMIT (`atCommit`): bound to its placeholder, or written in as a quoted literal. */
export type CommitParameter = string | number | boolean | null;

/** The observed transaction, as an observer sees it. */
export interface ObserverTx extends Tx {
  /**
   * Sends `sql` (`?` placeholders) with the COMMIT in the same round trip, after every observer ran
   * and in their order; if it fails, the transaction rolls back. Row capture is off by then. The
   * values are bound (the statement is prepared once per connection), or on a connection that
   * cannot pipeline, written in as quoted literals; a NUL or a number that is not finite is refused.
   */
  atCommit(sql: string, params?: CommitParameter[]): void;
}

/** Runs inside the observed transaction, before COMMIT; a throw rolls the change back. */
export type MutationObserver = (tx: ObserverTx, mutation: ObservedMutation) => Promise<void>;
