import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { type Config, loadConfig } from '../config/config.ts';
import { Database } from '../db/database.ts';
import { migrate } from '../db/sql-migrator.ts';
import { pluginMigrations } from './plugin-migrations.ts';
import { type EmbeddedDatabase, ensureDatabase, startEmbeddedPostgres, withDatabase } from '../db/embedded-postgres.ts';
import { handleGraphQL } from '../graphql/graphql-http.ts';
import { attachGraphQLWebSocket } from '../graphql/graphql-ws-server.ts';
import type { AccessControl } from '../http/access-control.ts';
import { createHttpApp } from '../http/http-app.ts';
import { HttpMetrics } from '../http/http-metrics.ts';
import { JobService } from '../jobs/job-service.ts';
import { PeriodicRunner } from '../jobs/periodic-runner.ts';
import { type Logger, createLogger } from '../logging/logger.ts';
import { tokens, type PluginManifest } from '../plugin-api/index.ts';
import { AjvSchemaValidator } from '../validation/schema-validator.ts';
import { WorkerPool } from '../workers/worker-pool.ts';
import { migrations as coreMigrations } from '../../migrations/index.ts';
import { coreContribution } from './core-contribution.ts';
import { createRootContainer, registerValue } from './di.ts';
import { hostVersion } from './host-version.ts';
import { validateManifest } from './manifest-validation.ts';
import { discoverConfigured, discoverFirstParty, type DiscoveredPlugin } from './plugin-discovery.ts';
import { PluginHost, type PluginStatus } from './plugin-host.ts';
import { orderByRequires } from './plugin-order.ts';
import { IdempotencyStore } from '../idempotency/idempotency-store.ts';
import { eventIterator } from '../events/event-iterator.ts';
import { EventBus } from '../events/event-bus.ts';
import { EventOutbox } from '../events/event-outbox.ts';
import { eventsModule } from '../events/events.module.ts';
import { OutboundHttp } from '../outbound/outbound-http.ts';
import { fanOutDeliveries } from '../webhooks/webhook-delivery.ts';
import { webhooksWiring } from '../webhooks/webhooks-wiring.ts';
import { alertEventTopics, alertsToken, alertsWiring } from '../alerts/alerts-wiring.ts';
import { LicenseService } from '../license/license-service.ts';
import { licenseModule } from '../license/license.module.ts';
import { InFlight } from './in-flight.ts';
import { identityAccess } from './identity-wiring.ts';

export interface KernelOptions {
  /** Configuration source; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Manifests handed over directly (tests, embedding), in addition to discovered ones. */
  plugins?: unknown[];
  /** Load plugins/* (default true). */
  firstParty?: boolean;
  /** The authorization hook; the identity layer provides it. */
  access?: AccessControl;
  logger?: Logger;
  /** How long a plugin's init may take before it counts as failed (default 30 s). */
  pluginInitTimeoutMs?: number;
}

export class BootError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BootError';
  }
}

const pluginsDir = path.resolve(fileURLToPath(new URL('../../plugins', import.meta.url)));

interface Collected {
  manifests: PluginManifest[];
  /** Plugins left off before loading (import, manifest, duplicate id, missing dependency), with why. */
  failed: { id: string; version: string; reason: string }[];
}

/**
 * Discovers and validates every plugin. A problem with one plugin marks that plugin failed and
 * the others go on; only a cycle among requirements, which has no safe order, stops the boot.
 */
async function collectManifests(config: Config, options: KernelOptions): Promise<Collected> {
  const discovered: DiscoveredPlugin[] = [
    ...(options.firstParty === false ? [] : await discoverFirstParty(pluginsDir)),
    ...(await discoverConfigured(config.plugins)),
    ...(options.plugins ?? []).map((manifest, i) => ({ source: `options.plugins[${i}]`, manifest, firstParty: false })),
  ];
  const failed: Collected['failed'] = [];
  const valid = new Map<string, { manifest: PluginManifest; source: string }>();
  for (const d of discovered) {
    const candidate = d.manifest as Partial<PluginManifest> | undefined;
    const id = typeof candidate?.id === 'string' ? candidate.id : d.source;
    const version = typeof candidate?.version === 'string' ? candidate.version : '0.0.0';
    const problems = d.error ? [`${d.source}: ${d.error}`] : validateManifest(d.manifest, hostVersion, d.source);
    const other = valid.get(id);
    if (other) problems.push(`plugin id ${id} is used by both ${other.source} and ${d.source}`);
    if (problems.length > 0) failed.push({ id: other ? `${id} (${d.source})` : id, version, reason: problems.join('; ') });
    else valid.set(id, { manifest: d.manifest as PluginManifest, source: d.source });
  }
  // A plugin whose requirement is missing (or failed) stays off, and so do the plugins that require it.
  let changed = true;
  while (changed) {
    changed = false;
    for (const [id, { manifest }] of valid) {
      const missing = (manifest.requires ?? []).find((dependency) => !valid.has(dependency));
      if (!missing) continue;
      failed.push({ id, version: manifest.version, reason: `plugin ${id} requires ${missing}, which is not available` });
      valid.delete(id);
      changed = true;
    }
  }
  try {
    return { manifests: orderByRequires([...valid.values()].map((v) => v.manifest)), failed };
  } catch (error) {
    throw new BootError((error as Error).message, { cause: error });
  }
}

/**
 * Boots and stops the platform: configuration, database (embedded or DATABASE_URL), migrations, job
 * queue, worker pool, plugins, HTTP + GraphQL + WebSocket on one server. Stopping is the reverse,
 * letting in-flight requests and jobs finish first.
 */
export class Kernel {
  private constructor(
    readonly config: Config,
    readonly logger: Logger,
    readonly database: Database,
    readonly jobs: JobService,
    readonly workers: WorkerPool,
    readonly plugins: PluginHost,
    readonly events: EventBus,
    readonly server: http.Server,
    private readonly inFlight: InFlight,
    private readonly closers: (() => Promise<void>)[],
  ) {}

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  static async start(options: KernelOptions = {}): Promise<Kernel> {
    const { config, warnings } = loadConfig(options.env ?? process.env);
    const logger = options.logger ?? createLogger(config.logLevel);
    for (const warning of warnings) logger.warn(warning);
    const closers: (() => Promise<void>)[] = [];
    const closeAll = async () => {
      for (const close of closers.splice(0).reverse()) await close().catch((error) => logger.warn({ err: error }, 'shutdown step failed'));
    };

    try {
      const { manifests, failed } = await collectManifests(config, options);

      let databaseUrl = config.databaseUrl;
      if (!databaseUrl) {
        const embedded: EmbeddedDatabase = await startEmbeddedPostgres({ dir: path.join(config.dataDir, 'postgres'), port: config.embeddedDbPort, logger });
        closers.push(() => embedded.stop());
        await ensureDatabase(embedded.url, 'itops');
        databaseUrl = withDatabase(embedded.url, 'itops');
      }

      const database = new Database(databaseUrl, config.dbPoolSize, logger);
      closers.push(() => database.close());
      const applied = await migrate(database.platform, '', coreMigrations);
      if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
      const licenses = await LicenseService.create({
        config,
        query: database.query,
        logger,
        pluginIds: () => manifests.map((m) => m.id),
      });
      closers.push(async () => licenses.close());

      const validator = new AjvSchemaValidator();
      const jobs = new JobService(databaseUrl, validator, logger, config.jobsEnabled);
      await jobs.start();
      closers.push(() => jobs.stop(config.shutdownTimeoutMs));
      const workers = new WorkerPool(config.workerThreads);
      closers.push(() => workers.close());

      const events = new EventBus(databaseUrl, database.query, logger);
      await events.start();
      closers.push(() => events.stop());
      let hostRef: PluginHost | undefined;
      const outbox = new EventOutbox(
        () => [{ topic: 'webhook.test' }, { topic: 'license:updated' }, ...alertEventTopics, ...(hostRef?.eventTopics() ?? [])],
        validator,
      );
      outbox.onPublish(fanOutDeliveries);

      const container = createRootContainer();
      if (config.outboundAllowPrivate && config.env === 'production')
        logger.warn('ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS is on in production: outbound calls may reach internal services');
      const outbound = new OutboundHttp({ hostAllowlist: config.outboundHostAllowlist, allowPrivate: config.outboundAllowPrivate });
      registerValue(container, tokens.outbound, outbound);
      const webhooks = webhooksWiring({ query: database.query, outbound, jobs, events, logger, retryBaseSeconds: config.webhookRetryBaseSeconds });
      closers.push(await webhooks.start());
      const alerts = alertsWiring({
        query: database.query,
        outbound,
        jobs,
        logger,
        outboxPublish: (tx, event) => outbox.publish(tx, event),
        retryBaseSeconds: config.webhookRetryBaseSeconds,
      });
      closers.push(await alerts.start());
      registerValue(container, alertsToken, alerts.service);
      registerValue(container, tokens.events, {
        publish: (tx, event) => outbox.publish(tx, event),
        publishMany: (tx, list) => outbox.publishMany(tx, list),
        subscribe: (handler, filter) => events.subscribe(handler, filter),
        iterate: (filter) => eventIterator(events, filter),
      });
      registerValue(container, tokens.config, Object.freeze({ ...config }));
      registerValue(container, tokens.database, database);
      registerValue(container, tokens.jobs, jobs);
      registerValue(container, tokens.workers, workers);
      registerValue(container, tokens.validator, validator);

      const metricsRegistry = new Registry();
      collectDefaultMetrics({ register: metricsRegistry, prefix: 'itops_' });
      const identity = await identityAccess({ config, database, logger });
      const access = options.access ?? identity.access;
      let host: PluginHost | undefined;
      const core = coreContribution(
        {
          version: hostVersion,
          startedAt: Date.now(),
          metrics: metricsRegistry,
          checks: { database: () => database.isReachable(), jobs: () => jobs.isReachable() },
          document: () => (host as PluginHost).currentRouter().document,
          plugins: () => (host as PluginHost).statuses(),
        },
        [
          ...identity.modules,
          eventsModule({ bus: events, query: database.query }),
          webhooks.module,
          alerts.module,
          licenseModule({ licenses, pluginStatuses: () => (host as PluginHost).statuses() }),
        ],
      );
      host = new PluginHost({
        core,
        container,
        jobs,
        workers,
        access,
        idempotency: new IdempotencyStore(database.query),
        logger,
        onStateChange: (status: PluginStatus) => recordState(database, status),
        initTimeoutMs: options.pluginInitTimeoutMs,
        periodic: new PeriodicRunner(database.relaxedQuery, logger, config.jobsEnabled),
        migrate: (manifest) => migrate(database.platform, manifest.id, pluginMigrations(manifest)),
        onPublish: () => identity.rbac.reload({ permissions: (host as PluginHost).permissions(), policies: (host as PluginHost).policies() }),
      });
      hostRef = host;
      host.makeAvailable(manifests, new Set(config.disabledPlugins));
      for (const plugin of failed) {
        logger.error({ plugin: plugin.id }, plugin.reason);
        await host.markFailed(plugin.id, plugin.version, plugin.reason);
      }
      closers.push(() => (host as PluginHost).unloadAll());
      await host.loadAll(manifests, (id) => licenses.allows(id));
      // A new or expired license loads and unloads plugins without a restart; the node that took
      // the activation tells the others, which re-read the license from the database.
      let announced = licenses.current()?.licenseId;
      licenses.onChange(async (info) => {
        await (host as PluginHost).reconcile((id) => licenses.allows(id));
        if (info && licenses.source() === 'activation' && info.licenseId !== announced) {
          announced = info.licenseId;
          await database.platform.transaction((tx) =>
            outbox.publish(tx, { topic: 'license:updated', payload: { customer: info.customer, plugins: info.plugins } }),
          );
        }
      });
      const stopLicenseSync = events.subscribe(
        () => {
          licenses.reload().catch((error) => logger.warn({ err: error }, 'could not reload the license'));
        },
        { topics: new Set(['license:updated']) },
      );
      closers.push(async () => stopLicenseSync());

      const inFlight = new InFlight();
      const app = createHttpApp({
        logger,
        metrics: new HttpMetrics(metricsRegistry),
        bodyLimitBytes: config.bodyLimitBytes,
        trustProxy: config.trustProxy,
        graphql: (ctx) => handleGraphQL(ctx, (host as PluginHost).currentSchema(), access),
        contract: (ctx) => (host as PluginHost).currentRouter().dispatch(ctx),
        readsOwnBody: (method, path) => (host as PluginHost).currentRouter().readsOwnBody(method, path),
      });
      const server = http.createServer(inFlight.wrap(app.callback()));
      const ws = attachGraphQLWebSocket(server, () => (host as PluginHost).currentSchema(), access);
      closers.push(() => ws.close());
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => resolve());
      });
      const kernel = new Kernel(config, logger, database, jobs, workers, host, events, server, inFlight, closers);
      logger.info(
        {
          url: kernel.publicUrl(),
          plugins: host
            .statuses()
            .filter((p) => p.state === 'loaded')
            .map((p) => p.id),
        },
        `itops ${hostVersion} listening`,
      );
      return kernel;
    } catch (error) {
      await closeAll();
      throw error;
    }
  }

  publicUrl(): string {
    const { port } = this.server.address() as AddressInfo;
    return this.config.publicUrl ?? `http://localhost:${port}`;
  }

  private stopping?: Promise<void>;

  /** Graceful stop: refuse new connections, let requests and jobs finish (bounded), close everything. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const deadline = this.config.shutdownTimeoutMs;
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server.closeIdleConnections();
      await this.inFlight.drained(deadline);
      this.server.closeAllConnections();
      await closed;
      for (const close of this.closers.splice(0).reverse()) {
        await close().catch((error) => this.logger.warn({ err: error }, 'shutdown step failed'));
      }
      this.logger.info('itops stopped');
    })();
    return this.stopping;
  }
}

async function recordState(database: Database, status: PluginStatus): Promise<void> {
  await database.query(
    `INSERT INTO core_plugin_state (plugin_id, version, state, error, changed_at) VALUES (?, ?, ?, ?, now())
     ON CONFLICT (plugin_id) DO UPDATE SET version = excluded.version, state = excluded.state, error = excluded.error, changed_at = now()`,
    [status.id, status.version, status.state, status.error ?? null],
  );
}
