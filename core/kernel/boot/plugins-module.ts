import type { PublicLinks } from '../../http/public-links.ts';
import type { Registry } from 'prom-client';
import { pluginMetricsOf, pluginMetricsToken } from '../../http/plugin-metrics.ts';
import type { AlertsService, NotificationChannelsService } from '../../alerts/alert-types.ts';
import type { Config } from '../../config/config.ts';
import type { Database } from '../../db/database.ts';
import { migrate } from '../../db/sql-migrator.ts';
import type { AccessControl } from '../../http/access-control.ts';
import { IdempotencyStore, type NodeSession } from '../../idempotency/idempotency-store.ts';
import type { JobService } from '../../jobs/job-service.ts';
import { PeriodicRunner } from '../../jobs/periodic-runner.ts';
import type { Logger } from '../../logging/logger.ts';
import type { OutboundHttp } from '../../outbound/outbound-http.ts';
import type { BearerTokensService } from '../../plugin-api/bearer-tokens.ts';
import { createTemplateSections, type EventsService, type PluginManifest, tokens } from '../../plugin-api/index.ts';
import type { RbacService } from '../../rbac/rbac-service.ts';
import type { AjvSchemaValidator } from '../../validation/schema-validator.ts';
import type { WorkerPool } from '../../workers/worker-pool.ts';
import { coreContribution } from '../core-contribution.ts';
import type { CoreModule } from '../core-module.ts';
import { createRootContainer, registerValue } from '../di.ts';
import { pluginVariablesToken } from '../plugin-config.ts';
import { hostVersion } from '../host-version.ts';
import { PluginHost, type PluginStatus } from '../plugin-host.ts';
import { pluginMigrations } from '../plugin-migrations.ts';
import type { LateBound } from './late-bound.ts';
import { bootModule } from './stop-steps.ts';
import { pluginSecretsToken, secretsFor } from '../../secrets/plugin-secrets.ts';
import type { SecretStore } from '../../secrets/secret-store.ts';
import type { MasterKeyring } from '../../secrets/master-key.ts';
import { pluginSettingsToken, settingsFor } from '../../settings/plugin-settings.ts';
import type { SettingsStore } from '../../settings/settings-store.ts';
import type { RuntimeService } from '../../runtime/runtime-inspector.ts';
import { CapabilityRegistry, capabilityRegistryToken } from '../../capabilities/capability-registry.ts';

/** What plugins may ask the container for. */
export interface PlatformServices {
  database: Database;
  jobs: JobService;
  workers: WorkerPool;
  validator: AjvSchemaValidator;
  events: EventsService;
  outbound: OutboundHttp;
  alerts: AlertsService;
  channels: NotificationChannelsService;
  secrets: SecretStore;
  settings: SettingsStore;
  runtime: RuntimeService;
  bearerTokens: BearerTokensService;
}

/** Plugins left off before loading, with why. */
export interface FailedPlugin {
  id: string;
  version: string;
  reason: string;
}

/**
 * The plugin host: the services container, the core's own contribution (system operations and the
 * core modules), then every plugin the license allows, loaded in dependency order. It is bound to
 * `host` before any plugin loads, since loading publishes and publishing checks the plugins' topics.
 */
export function startPlugins(deps: {
  config: Config;
  logger: Logger;
  services: PlatformServices;
  metrics: Registry;
  coreModules: CoreModule[];
  access: AccessControl;
  rbac: RbacService;
  manifests: PluginManifest[];
  failed: FailedPlugin[];
  licensed: (id: string) => boolean;
  initTimeoutMs?: number;
  links: PublicLinks;
  host: LateBound<PluginHost>;
  /** This node's lasting database session (idempotency claims name it). */
  nodeSession?: NodeSession;
  /** Seals the responses idempotency records keep. */
  keyring: MasterKeyring;
}) {
  const { config, logger, services } = deps;
  const { database, jobs, workers } = services;
  return bootModule(logger, async (onStop) => {
    const container = createRootContainer();
    registerValue(container, tokens.outbound, services.outbound);
    registerValue(container, tokens.alerts, services.alerts);
    registerValue(container, tokens.channels, services.channels);
    registerValue(container, tokens.bearerTokens, services.bearerTokens);
    // A contributed section's own permission is checked as the router checks an operation's.
    registerValue(
      container,
      tokens.templateSections,
      createTemplateSections((principal, permission, tenantId) => deps.access.authorize(principal, permission, tenantId)),
    );
    // Plugins get these scoped to themselves (plugin-scope.ts); the plain tokens are the core's own view.
    registerValue(container, pluginSecretsToken, (pluginId: string) => secretsFor(services.secrets, pluginId, `plugin:${pluginId}`));
    registerValue(container, pluginSettingsToken, (pluginId: string) => settingsFor(services.settings, pluginId));
    registerValue(container, tokens.secrets, secretsFor(services.secrets, 'core', 'core:kernel'));
    registerValue(container, tokens.settings, settingsFor(services.settings, 'core'));
    registerValue(container, tokens.events, services.events);
    registerValue(container, tokens.runtime, services.runtime);
    registerValue(
      container,
      tokens.config,
      Object.freeze({
        env: config.env,
        publicUrl: config.publicUrl,
        absoluteUrl: (path: string) => deps.links.absoluteUrl(path),
        jobsEnabled: config.jobsEnabled,
        outboundHostAllowlist: Object.freeze([...config.outboundHostAllowlist]),
        outboundAllowPrivate: config.outboundAllowPrivate,
      }),
    );
    registerValue(container, pluginVariablesToken, config.pluginVariables);
    registerValue(container, tokens.database, database);
    registerValue(container, tokens.jobs, jobs);
    registerValue(container, tokens.workers, workers);
    registerValue(container, tokens.validator, services.validator);
    registerValue(container, pluginMetricsToken, pluginMetricsOf(deps.metrics));
    // Plugins get a view scoped to themselves (plugin-scope.ts); the plain token is the core's own.
    const capabilities = new CapabilityRegistry();
    registerValue(container, capabilityRegistryToken, capabilities);
    registerValue(
      container,
      tokens.capabilities,
      capabilities.forPlugin('core', () => {}),
    );

    const core = coreContribution(
      {
        version: hostVersion,
        startedAt: Date.now(),
        metrics: deps.metrics,
        checks: { database: () => database.isReachable(), jobs: () => jobs.isReachable() },
        document: () => deps.host.get().currentRouter().document,
        plugins: () => deps.host.get().statuses(),
      },
      deps.coreModules,
    );
    const idempotency = new IdempotencyStore(database.query, deps.keyring, deps.nodeSession);
    const sealed = await idempotency.sealStoredInPlaintext();
    if (sealed > 0) logger.info({ sealed }, 'stored idempotent responses sealed under the master key');
    const host: PluginHost = new PluginHost({
      core,
      container,
      jobs,
      workers,
      access: deps.access,
      idempotency,
      logger,
      onStateChange: (status: PluginStatus) => recordState(database, status),
      initTimeoutMs: deps.initTimeoutMs,
      periodic: new PeriodicRunner(database.relaxedQuery, logger, config.jobsEnabled),
      migrate: (manifest) => migrate(database.platform, manifest.id, pluginMigrations(manifest)),
      onPublish: () => deps.rbac.reload({ permissions: host.permissions(), policies: host.policies() }),
    });
    deps.host.set(host);
    host.makeAvailable(deps.manifests, new Set(config.disabledPlugins));
    for (const plugin of deps.failed) {
      logger.error({ plugin: plugin.id }, plugin.reason);
      await host.markFailed(plugin.id, plugin.version, plugin.reason);
    }
    onStop(() => host.unloadAll());
    await host.loadAll(deps.manifests, deps.licensed);
    return { host };
  });
}

async function recordState(database: Database, status: PluginStatus): Promise<void> {
  await database.query(
    `INSERT INTO core_plugin_state (plugin_id, version, state, error, changed_at) VALUES (?, ?, ?, ?, now())
     ON CONFLICT (plugin_id) DO UPDATE SET version = excluded.version, state = excluded.state, error = excluded.error, changed_at = now()`,
    [status.id, status.version, status.state, status.error ?? null],
  );
}
