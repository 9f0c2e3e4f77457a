import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { alertEventTopics } from '../alerts/alert-service.ts';
import { type Config, loadConfig } from '../config/config.ts';
import { consoleModule } from '../console/console.module.ts';
import type { Database } from '../db/database.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { AccessControl } from '../http/access-control.ts';
import type { JobService } from '../jobs/job-service.ts';
import { type Logger, createLogger } from '../logging/logger.ts';
import type { EventDeclaration, PluginManifest } from '../plugin-api/index.ts';
import { AjvSchemaValidator } from '../validation/schema-validator.ts';
import type { WorkerPool } from '../workers/worker-pool.ts';
import { startAlerts } from './boot/alerts-module.ts';
import { startDatabase } from './boot/database-module.ts';
import { startEvents } from './boot/events-module.ts';
import { startHttp } from './boot/http-module.ts';
import { startJobs } from './boot/jobs-module.ts';
import { startWorkspaceJobs } from './boot/workspace-jobs-module.ts';
import { jobEventTopics } from '../job-runs/job-outcomes.ts';
import { LateBound } from './boot/late-bound.ts';
import { followLicense, startLicense } from './boot/license-module.ts';
import { outboundHttp } from './boot/outbound-module.ts';
import { type FailedPlugin, startPlugins } from './boot/plugins-module.ts';
import { StopSteps } from './boot/stop-steps.ts';
import { startWebhooks } from './boot/webhooks-module.ts';
import { RuntimeInspector } from '../runtime/runtime-inspector.ts';
import { startSettingsAndSecrets } from './boot/settings-secrets-module.ts';
import { secretEventTopics } from '../secrets/secret-topics.ts';
import { settingsEventTopics } from '../settings/settings-store.ts';
import { hostVersion } from './host-version.ts';
import { identityAccess, identityEventTopics } from './identity-wiring.ts';
import type { InFlight } from './in-flight.ts';
import { validateManifest } from './manifest-validation.ts';
import { discoverConfigured, discoverFirstParty, type DiscoveredPlugin } from './plugin-discovery.ts';
import type { PluginHost } from './plugin-host.ts';
import { PublicLinks } from '../http/public-links.ts';
import { orderByRequires } from './plugin-order.ts';

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

/** Topics core itself publishes; the plugins' own are added as they load. */
const coreEventTopics: EventDeclaration[] = [
  { topic: 'webhook.test' },
  { topic: 'license:updated' },
  ...alertEventTopics,
  ...identityEventTopics,
  ...secretEventTopics,
  ...settingsEventTopics,
];
const coreTopicIndex = new Map([...coreEventTopics, ...jobEventTopics].map((d) => [d.topic, d]));

interface Collected {
  manifests: PluginManifest[];
  /** Plugins left off before loading (import, manifest, duplicate id, missing dependency), with why. */
  failed: FailedPlugin[];
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
    private readonly stops: StopSteps,
  ) {}

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  static async start(options: KernelOptions = {}): Promise<Kernel> {
    const { config } = loadConfig(options.env ?? process.env);
    const logger = options.logger ?? createLogger(config.logLevel);
    const stops = new StopSteps(logger);

    try {
      const { manifests, failed } = await collectManifests(config, options);
      // A variable no core setting and no plugin declares is most likely a typo.
      const declared = new Set(manifests.flatMap((m) => Object.keys(m.config ?? {})));
      for (const name of Object.keys(config.pluginVariables)) if (!declared.has(name)) logger.warn(`unknown configuration variable ${name} is ignored`);
      const { database, databaseUrl } = await stops.started(startDatabase({ config, logger }));
      const plugins = new LateBound<PluginHost>('the plugin host');
      const license = await stops.started(
        startLicense({
          config,
          database,
          logger,
          pluginIds: () => manifests.map((m) => m.id),
          pluginStatuses: () => plugins.get().statuses(),
        }),
      );
      const validator = new AjvSchemaValidator();
      const { jobs, workers } = await stops.started(startJobs({ config, databaseUrl, validator, logger }));
      const events = await stops.started(
        startEvents({
          databaseUrl,
          database,
          validator,
          logger,
          declarationOf: (topic) => coreTopicIndex.get(topic) ?? plugins.current()?.eventTopic(topic),
        }),
      );
      const outbound = outboundHttp({ config, logger });
      // Before webhooks and alerts: signing secrets and channels' secret settings are sealed in the secrets store.
      const settingsAndSecrets = await stops.started(
        startSettingsAndSecrets({
          config,
          database,
          bus: events.bus,
          outbox: events.outbox,
          logger,
          loadedManifests: () => plugins.current()?.loadedManifests() ?? [],
        }),
      );
      const webhooks = await stops.started(
        startWebhooks({ config, database, outbound, jobs, bus: events.bus, outbox: events.outbox, logger, secrets: settingsAndSecrets.secrets }),
      );
      const alerts = await stops.started(startAlerts({ config, database, outbound, jobs, outbox: events.outbox, logger, secrets: settingsAndSecrets.secrets }));

      const metrics = new Registry();
      collectDefaultMetrics({ register: metrics, prefix: 'itops_' });
      const links = new PublicLinks(config.publicUrl);
      const identity = await identityAccess({ config, database, logger, events });
      const access = options.access ?? identity.access;
      const workspaceJobs = await stops.started(
        startWorkspaceJobs({ config, database, jobs, events: events.service, links, logger, loaded: () => plugins.current()?.loadedManifests() ?? [] }),
      );
      const { host } = await stops.started(
        startPlugins({
          config,
          logger,
          services: {
            database,
            jobs,
            workers,
            validator,
            events: events.service,
            outbound,
            alerts: alerts.service,
            channels: alerts.channels,
            secrets: settingsAndSecrets.secrets,
            settings: settingsAndSecrets.settings,
            runtime: new RuntimeInspector({ query: database.query, database, jobs, redeliver: webhooks.replay }),
            bearerTokens: identity.bearerTokens,
          },
          metrics,
          coreModules: [
            ...identity.modules,
            events.module,
            webhooks.module,
            alerts.module,
            license.module,
            ...settingsAndSecrets.modules,
            ...workspaceJobs.modules,
            consoleModule({ loaded: () => plugins.current()?.loadedManifests() ?? [], document: () => plugins.current()?.currentRouter().document }),
          ],
          access,
          rbac: identity.rbac,
          manifests,
          failed,
          licensed: (id) => license.licenses.allows(id),
          initTimeoutMs: options.pluginInitTimeoutMs,
          host: plugins,
          links,
          nodeSession: () => events.bus.session(),
          keyring: settingsAndSecrets.keyring,
        }),
      );
      // After the plugins: import and export jobs need the kinds they contribute.
      stops.add(await workspaceJobs.startWorkers());
      stops.add(followLicense({ licenses: license.licenses, plugins: host, database, outbox: events.outbox, bus: events.bus, logger }).stop);
      const { server, inFlight } = await stops.started(startHttp({ config, logger, metrics, plugins: host, access, links }));

      const kernel = new Kernel(config, logger, database, jobs, workers, host, events.bus, server, inFlight, stops);
      await settingsAndSecrets.announceFirstRun(kernel.publicUrl());
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
      await stops.run();
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
      await this.stops.run();
      this.logger.info('itops stopped');
    })();
    return this.stopping;
  }
}
