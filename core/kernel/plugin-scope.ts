import type { PeriodicRunner } from '../jobs/periodic-runner.ts';
import type { Logger } from '../logging/logger.ts';
import type { JobHandler, OperationHandler, PluginContext, PluginManifest, Resolver, Unregister } from '../plugin-api/index.ts';
import type { ServiceToken } from '../plugin-api/tokens.ts';
import type { RegisteredResolver, ResolverEntry } from '../graphql/schema-builder.ts';
import { type DependencyContainer, resolveToken } from './di.ts';
import { localNamePattern, PluginReach, unscopedEventsToken } from './plugin-names.ts';
import { pluginConfig, pluginVariablesToken } from './plugin-config.ts';
import { tokens } from '../plugin-api/index.ts';
import { pluginMetricsToken } from '../http/plugin-metrics.ts';
import { pluginSecretsToken } from '../secrets/plugin-secrets.ts';
import { pluginSettingsToken } from '../settings/plugin-settings.ts';
import type { Database } from '../db/database.ts';
import { capabilityRegistryToken } from '../capabilities/capability-registry.ts';

/** Services plugins offer each other, with their owner, so only declared dependents can use them. */
export class ProvidedServices {
  private readonly services = new Map<symbol, { owner: string; value: unknown }>();

  provide(owner: string, token: ServiceToken<unknown>, value: unknown): Unregister {
    const existing = this.services.get(token.id);
    if (existing) throw new Error(`service "${token.description}" is provided by both ${existing.owner} and ${owner}`);
    this.services.set(token.id, { owner, value });
    return () => {
      this.services.delete(token.id);
    };
  }

  lookup(token: ServiceToken<unknown>): { owner: string; value: unknown } | undefined {
    return this.services.get(token.id);
  }
}

/**
 * The context one plugin's `init` receives. It records every registration so that unloading the
 * plugin undoes exactly what it did, in reverse order.
 */
export class PluginScope {
  readonly handlers = new Map<string, OperationHandler>();
  readonly resolvers: RegisteredResolver[] = [];
  readonly jobHandlers = new Map<string, JobHandler>();
  readonly undo: Unregister[] = [];
  private readonly periodicNames = new Set<string>();
  readonly context: PluginContext;

  constructor(
    readonly manifest: PluginManifest,
    readonly container: DependencyContainer,
    provided: ProvidedServices,
    logger: Logger,
    periodic: PeriodicRunner,
    required: () => PluginManifest[] = () => [],
  ) {
    const id = manifest.id;
    const reach = new PluginReach(manifest, required);
    // Validated before anything of the plugin runs: a bad value leaves it off, naming the variable.
    const config = pluginConfig(manifest, resolveToken(container, pluginVariablesToken));
    const requires = new Set(manifest.requires ?? []);
    const optional = new Set(manifest.optionalRequires ?? []);
    const log = logger.child({ plugin: id });
    this.context = {
      pluginId: id,
      config,
      logger: {
        debug: (obj, msg) => log.debug(obj as object, msg),
        info: (obj, msg) => log.info(obj as object, msg),
        warn: (obj, msg) => log.warn(obj as object, msg),
        error: (obj, msg) => log.error(obj as object, msg),
      },
      get: <T>(token: ServiceToken<T>): T => {
        const offered = provided.lookup(token as ServiceToken<unknown>);
        if (offered) {
          if (offered.owner !== id && !requires.has(offered.owner)) {
            throw new Error(`plugin ${id} uses "${token.description}" from ${offered.owner} without requiring ${offered.owner}`);
          }
          return offered.value as T;
        }
        // Core services come scoped to what this plugin owns: its topics, its queues.
        if (token.id === tokens.events.id) return reach.events(resolveToken(container, tokens.events)) as T;
        if (token.id === unscopedEventsToken.id) return resolveToken(container, tokens.events) as T;
        if (token.id === tokens.jobs.id) return reach.jobs(resolveToken(container, tokens.jobs)) as T;
        if (token.id === tokens.secrets.id) return resolveToken(container, pluginSecretsToken)(id) as T;
        if (token.id === tokens.settings.id) return resolveToken(container, pluginSettingsToken)(id) as T;
        if (token.id === tokens.capabilities.id) return resolveToken(container, capabilityRegistryToken).forPlugin(id, (fn) => this.undo.push(fn)) as T;
        return resolveToken(container, token);
      },
      find: <T>(token: ServiceToken<T>): T | undefined => {
        const offered = provided.lookup(token as ServiceToken<unknown>);
        if (!offered) return undefined;
        if (offered.owner !== id && !requires.has(offered.owner) && !optional.has(offered.owner)) {
          throw new Error(`plugin ${id} uses "${token.description}" from ${offered.owner} without requiring ${offered.owner}`);
        }
        return offered.value as T;
      },
      provide: (token, value) => {
        if (container.isRegistered(token.id, true)) throw new Error(`plugin ${id} provides "${token.description}", which is a core service`);
        this.undo.push(provided.provide(id, token as ServiceToken<unknown>, value));
      },
      handle: (operationId, handler) => {
        if (this.handlers.has(operationId)) throw new Error(`plugin ${id} registers a handler for ${operationId} twice`);
        this.handlers.set(operationId, handler);
      },
      resolve: (typeName, fieldName, resolver: ResolverEntry, options) => {
        this.resolvers.push({ owner: id, typeName, fieldName, resolver: options?.permission ? guarded(resolver, options.permission) : resolver });
      },
      job: (jobName, handler) => {
        if (!(manifest.jobs ?? []).some((job) => job.name === jobName)) {
          throw new Error(`plugin ${id} handles job "${jobName}", which its manifest does not declare`);
        }
        this.jobHandlers.set(jobName, handler as JobHandler);
      },
      every: (name, intervalMs, round) => {
        if (!new RegExp(localNamePattern).test(name)) throw new Error(`plugin ${id}: periodic task name "${name}" must match ${localNamePattern}`);
        if (this.periodicNames.has(name)) throw new Error(`plugin ${id} starts periodic task "${name}" twice`);
        this.periodicNames.add(name);
        const task = periodic.start(`${id}.${name}`, intervalMs, round);
        this.undo.push(() => task.stop());
        return { wake: task.wake };
      },
      metrics: (collect) => {
        this.undo.push(resolveToken(container, pluginMetricsToken).add(id, collect));
      },
      onUnload: (fn) => {
        this.undo.push(fn);
      },
      observeMutations: (observer, options) => {
        if (manifest.observesMutations !== true) throw new Error(`plugin ${id} observes mutations without declaring observesMutations in its manifest`);
        const database = resolveToken(container, tokens.database) as Partial<Database>;
        if (!database.mutationObservers) throw new Error(`plugin ${id} observes mutations, but this database service has no observers`);
        this.undo.push(database.mutationObservers.add(id, observer, options));
      },
    };
  }

  async undoAll(logger: Logger): Promise<void> {
    for (const fn of this.undo.splice(0).reverse()) {
      try {
        await fn();
      } catch (error) {
        logger.warn({ err: error, plugin: this.manifest.id }, 'undoing a plugin registration failed');
      }
    }
  }
}

/** A resolver that runs only after the caller holds `permission` (the context then carries the checked workspace). */
function guarded(entry: ResolverEntry, permission: string): ResolverEntry {
  const check =
    (resolver: Resolver): Resolver =>
    async (parent, args, context, info) => {
      await context.authorize(permission);
      return resolver(parent, args, context, info);
    };
  if (typeof entry === 'function') return check(entry);
  return { ...entry, subscribe: check(entry.subscribe) };
}
