import { readFileSync } from 'node:fs';
import type { GraphQLSchema } from 'graphql';
import { ContractError, mergeContract } from '../contract/contract-merge.ts';
import { operationsOf, readDocument } from '../contract/contract-document.ts';
import { checkOperationRules } from '../contract/operation-rules.ts';
import { buildSchema, type RegisteredResolver, type SdlFragment } from '../graphql/schema-builder.ts';
import type { AccessControl } from '../http/access-control.ts';
import { ContractRouter, type RegisteredHandler } from '../http/contract-router.ts';
import type { IdempotencyStore } from '../idempotency/idempotency-store.ts';
import type { JobService } from '../jobs/job-service.ts';
import type { PeriodicRunner } from '../jobs/periodic-runner.ts';
import type { Logger } from '../logging/logger.ts';
import type { EventDeclaration, OperationHandler, PermissionDeclaration, PluginManifest, PolicyDeclaration } from '../plugin-api/index.ts';
import type { WorkerPool } from '../workers/worker-pool.ts';
import type { DependencyContainer } from './di.ts';
import { dependentsOf } from './plugin-order.ts';
import { namespaceClashes } from './plugin-names.ts';
import { PluginScope, ProvidedServices } from './plugin-scope.ts';

export type PluginState = 'loaded' | 'unloaded' | 'failed' | 'disabled' | 'unlicensed';

export interface PluginStatus {
  id: string;
  version: string;
  state: PluginState;
  error?: string;
}

/** The core's own contribution, published like a plugin's under the owner name `core`. */
export interface CoreContribution {
  document: Record<string, any>;
  handlers: Record<string, OperationHandler>;
  sdl: string;
  resolvers: RegisteredResolver[];
  permissions: (PermissionDeclaration & { platform?: boolean })[];
  policies: PolicyDeclaration[];
}

interface LoadedPlugin {
  scope: PluginScope;
  fragment?: Record<string, any>;
  sdl?: string;
}

/** Raised when a plugin's own `init` throws: the plugin stays off, the platform carries on. */
export class PluginInitError extends Error {
  constructor(
    readonly pluginId: string,
    cause: unknown,
  ) {
    super(`plugin ${pluginId} failed to initialise: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'PluginInitError';
  }
}

/**
 * Loads and unloads plugins while the server runs. Each change builds a new contract router and
 * GraphQL schema from core + loaded plugins and swaps them in whole; a change that would produce
 * an invalid contract is refused and leaves the running set untouched.
 */
export class PluginHost {
  private readonly available = new Map<string, PluginManifest>();
  /** Available manifests in dependency order. */
  private readonly order: PluginManifest[] = [];
  private readonly loaded = new Map<string, LoadedPlugin>();
  private readonly status = new Map<string, PluginStatus>();
  private readonly provided = new ProvidedServices();
  private router?: ContractRouter;
  private schema?: GraphQLSchema;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: {
      core: CoreContribution;
      container: DependencyContainer;
      jobs: JobService;
      workers: WorkerPool;
      access: AccessControl;
      idempotency: IdempotencyStore;
      logger: Logger;
      onStateChange?: (status: PluginStatus) => Promise<void>;
      periodic: PeriodicRunner;
      /** How long a plugin's init may take before the plugin counts as failed (default 30 s). */
      initTimeoutMs?: number;
      /** Applies the plugin's pending migrations (before its init). */
      migrate?: (manifest: PluginManifest) => Promise<string[]>;
      /** Runs after every contract swap (RBAC follows the permissions of what is loaded). */
      onPublish?: () => Promise<void>;
    },
  ) {}

  /** Manifests this host may load, in dependency order. */
  makeAvailable(manifests: PluginManifest[], disabled: ReadonlySet<string> = new Set()): void {
    this.order.push(...manifests);
    for (const manifest of manifests) {
      this.available.set(manifest.id, manifest);
      this.status.set(manifest.id, { id: manifest.id, version: manifest.version, state: disabled.has(manifest.id) ? 'disabled' : 'unloaded' });
    }
  }

  currentRouter(): ContractRouter {
    if (!this.router) throw new Error('the contract has not been published yet');
    return this.router;
  }

  currentSchema(): GraphQLSchema {
    if (!this.schema) throw new Error('the GraphQL schema has not been published yet');
    return this.schema;
  }

  statuses(): PluginStatus[] {
    return [...this.status.values()];
  }

  isLoaded(id: string): boolean {
    return this.loaded.has(id);
  }

  permissions(): PermissionDeclaration[] {
    return [...this.deps.core.permissions, ...[...this.loaded.values()].flatMap((p) => p.scope.manifest.permissions ?? [])];
  }

  policies(): PolicyDeclaration[] {
    return [...this.deps.core.policies, ...[...this.loaded.values()].flatMap((p) => p.scope.manifest.policies ?? [])];
  }

  /** Manifests of the plugins loaded now, in load order (settings sections follow them). */
  loadedManifests(): PluginManifest[] {
    return [...this.loaded.values()].map((p) => p.scope.manifest);
  }

  /** A loaded plugin's declaration of `topic` (every publish asks: a walk, nothing built). */
  eventTopic(topic: string): EventDeclaration | undefined {
    for (const plugin of this.loaded.values()) {
      const declaration = plugin.scope.manifest.events?.find((e) => e.topic === topic);
      if (declaration) return declaration;
    }
    return undefined;
  }

  /**
   * Boot: activate every enabled and licensed plugin in order. Any failure of one plugin (its
   * migration, contract, a clash with another plugin, its init throwing or never resolving)
   * leaves that plugin, and the plugins that require it, off with the reason; the rest boot.
   */
  async loadAll(order: PluginManifest[], licensed: (id: string) => boolean = () => true): Promise<void> {
    const initialised: PluginManifest[] = [];
    for (const manifest of order) {
      if (this.status.get(manifest.id)?.state === 'disabled') continue;
      if (!licensed(manifest.id)) {
        await this.setState(manifest, 'unlicensed', 'not included in the license');
        continue;
      }
      const unmet = this.unmetRequirement(manifest);
      if (unmet) {
        await this.setState(manifest, 'failed', unmet);
        continue;
      }
      try {
        await this.activate(manifest, false);
        initialised.push(manifest);
      } catch (error) {
        await this.failedToLoad(manifest, error);
      }
    }
    await this.publishBooted(initialised);
  }

  /**
   * Boot publishes the contract, schema and RBAC once for every plugin that initialised, not once per
   * plugin: each publish builds a router and an enforcer, and a first-party boot spent most of its
   * CPU on seven of them. Only when that one publish fails are they published one at a time, as at
   * runtime, so that the plugin that does not fit with the others fails alone.
   */
  private async publishBooted(initialised: PluginManifest[]): Promise<void> {
    try {
      await this.publish();
    } catch (error) {
      if (initialised.length === 0) throw error;
      await this.publishOneByOne(initialised);
      return;
    }
    for (const manifest of initialised) await this.startBooted(manifest, this.loaded.get(manifest.id) as LoadedPlugin);
  }

  /** A booted plugin whose workers cannot start is taken out again, alone. */
  private async startBooted(manifest: PluginManifest, plugin: LoadedPlugin): Promise<void> {
    try {
      await this.markLoaded(manifest, plugin);
    } catch (error) {
      await this.withdraw(manifest.id, plugin.scope, true);
      await this.failedToLoad(manifest, error);
    }
  }

  private async publishOneByOne(initialised: PluginManifest[]): Promise<void> {
    const plugins = initialised.map((manifest) => [manifest, this.loaded.get(manifest.id) as LoadedPlugin] as const);
    for (const [manifest] of plugins) this.loaded.delete(manifest.id);
    await this.publish();
    for (const [manifest, plugin] of plugins) {
      const unmet = this.unmetRequirement(manifest);
      if (unmet) {
        await plugin.scope.undoAll(this.deps.logger);
        await this.setState(manifest, 'failed', unmet);
        continue;
      }
      this.loaded.set(manifest.id, plugin);
      try {
        await this.publish();
      } catch (error) {
        // The contract served is still the one without it: nothing to republish.
        await this.withdraw(manifest.id, plugin.scope, false);
        await this.failedToLoad(manifest, error);
        continue;
      }
      await this.startBooted(manifest, plugin);
    }
  }

  /** Why `manifest` cannot load now (the first plugin it requires that is not loaded), or undefined. */
  private unmetRequirement(manifest: PluginManifest): string | undefined {
    const missing = (manifest.requires ?? []).find((dependency) => !this.loaded.has(dependency));
    return missing && `requires ${missing}, which is not loaded`;
  }

  /** Takes a plugin that failed part-way back out: off the loaded set and, if it was published, out of the contract; its registrations undone. */
  private async withdraw(id: string, scope: PluginScope, published: boolean): Promise<void> {
    this.loaded.delete(id);
    if (published) await this.publish().catch((e) => this.deps.logger.error({ err: e }, 'could not republish without the failed plugin'));
    await scope.undoAll(this.deps.logger);
  }

  private async failedToLoad(manifest: PluginManifest, error: unknown): Promise<void> {
    const reason = error instanceof PluginInitError ? error.message : `plugin ${manifest.id} failed to load: ${(error as Error)?.message ?? String(error)}`;
    this.deps.logger.error({ err: error, plugin: manifest.id }, reason);
    await this.setState(manifest, 'failed', reason);
  }

  /** A plugin that never got as far as a valid manifest (import or manifest errors), shown with its reason. */
  async markFailed(id: string, version: string, reason: string): Promise<void> {
    await this.setState({ id, version } as PluginManifest, 'failed', reason);
  }

  /** Runtime load (license activation, admin action). Serialised with other changes. */
  load(id: string): Promise<void> {
    return this.serialise(async () => {
      if (this.loaded.has(id)) return;
      const manifest = this.available.get(id);
      if (!manifest) throw new Error(`plugin ${id} is not available`);
      const unmet = this.unmetRequirement(manifest);
      if (unmet) throw new Error(`plugin ${id} ${unmet}`);
      try {
        await this.activate(manifest, true);
      } catch (error) {
        if (error instanceof PluginInitError) await this.setState(manifest, 'failed', error.message);
        throw error;
      }
    });
  }

  /** Runtime unload; plugins that depend on `id` are unloaded first. */
  unload(id: string): Promise<void> {
    return this.serialise(async () => {
      if (!this.loaded.has(id)) return;
      const loadedManifests = [...this.loaded.values()].map((p) => p.scope.manifest);
      for (const manifest of [...dependentsOf(id, loadedManifests), this.loaded.get(id)?.scope.manifest as PluginManifest]) {
        const plugin = this.loaded.get(manifest.id);
        if (!plugin) continue;
        this.loaded.delete(manifest.id);
        await this.publish();
        await plugin.scope.undoAll(this.deps.logger);
        await this.setState(manifest, 'unloaded');
        this.deps.logger.info({ plugin: manifest.id }, 'plugin unloaded');
      }
    });
  }

  /**
   * Brings the loaded set in line with a (new or expired) license: unlicensed plugins unload,
   * licensed ones that are off load in dependency order. Failures are reported per plugin.
   */
  async reconcile(licensed: (id: string) => boolean): Promise<{ loaded: string[]; unloaded: string[]; failed: string[] }> {
    const result = { loaded: [] as string[], unloaded: [] as string[], failed: [] as string[] };
    for (const id of [...this.loaded.keys()].reverse()) {
      if (licensed(id) || !this.loaded.has(id)) continue;
      await this.unload(id);
      result.unloaded.push(id);
    }
    for (const status of this.status.values()) {
      if (!this.loaded.has(status.id) && !licensed(status.id) && status.state !== 'disabled') {
        await this.setState(this.available.get(status.id) as PluginManifest, 'unlicensed', 'not included in the license');
      }
    }
    for (const manifest of this.order) {
      const state = this.status.get(manifest.id)?.state;
      if (this.loaded.has(manifest.id) || state === 'disabled' || !licensed(manifest.id)) continue;
      if (this.unmetRequirement(manifest)) continue;
      try {
        await this.load(manifest.id);
        result.loaded.push(manifest.id);
      } catch (error) {
        this.deps.logger.error({ err: error, plugin: manifest.id }, 'plugin could not be loaded for the license');
        result.failed.push(manifest.id);
      }
    }
    return result;
  }

  async unloadAll(): Promise<void> {
    for (const plugin of [...this.loaded.values()].reverse()) await plugin.scope.undoAll(this.deps.logger);
    this.loaded.clear();
  }

  private async activate(manifest: PluginManifest, publishNow: boolean): Promise<void> {
    const { jobs, workers, logger, container } = this.deps;
    const required = () => (manifest.requires ?? []).flatMap((id) => this.loaded.get(id)?.scope.manifest ?? []);
    const scope = new PluginScope(manifest, container.createChildContainer(), this.provided, logger, this.deps.periodic, required);
    const plugin: LoadedPlugin = { scope };
    let published = false;
    try {
      const clashes = namespaceClashes(
        manifest,
        [...this.loaded.values()].map((p) => p.scope.manifest),
      );
      if (clashes.length > 0) throw new Error(`plugin ${manifest.id}: ${clashes.join('; ')}`);
      for (const job of manifest.jobs ?? []) scope.undo.push(await jobs.declare(manifest.id, job));
      for (const task of manifest.workerTasks ?? []) scope.undo.push(workers.declare(manifest.id, task));
      if (manifest.openapi) plugin.fragment = readDocument(manifest.openapi);
      if (manifest.graphql) plugin.sdl = manifest.graphql instanceof URL ? readFileSync(manifest.graphql, 'utf8') : manifest.graphql;
      const known = new Set([...this.permissions(), ...(manifest.permissions ?? [])].map((p) => p.name));
      const ruleProblems = plugin.fragment ? checkOperationRules(plugin.fragment, `plugin ${manifest.id}`, known) : [];
      if (ruleProblems.length > 0) throw new ContractError(ruleProblems);

      try {
        const applied = (await this.deps.migrate?.(manifest)) ?? [];
        if (applied.length > 0) logger.info({ plugin: manifest.id, migrations: applied }, 'plugin migrations applied');
        await withTimeout(Promise.resolve(manifest.init(scope.context)), this.deps.initTimeoutMs ?? 30_000, `init did not finish`);
      } catch (error) {
        throw new PluginInitError(manifest.id, error);
      }
      this.checkRegistrations(plugin);
      this.loaded.set(manifest.id, plugin);
      // At boot the caller publishes once for all plugins (`publishBooted`) and marks them loaded then.
      if (!publishNow) return;
      await this.publish();
      published = true;
      await this.markLoaded(manifest, plugin);
    } catch (error) {
      await this.withdraw(manifest.id, scope, published);
      throw error;
    }
  }

  /** After its contract is published: its job workers start, and it counts as loaded. */
  private async markLoaded(manifest: PluginManifest, plugin: LoadedPlugin): Promise<void> {
    await this.startWorkers(plugin);
    await this.setState(manifest, 'loaded');
    this.deps.logger.info({ plugin: manifest.id, version: manifest.version }, 'plugin loaded');
  }

  /** Every operation needs a handler, every handler an operation, every declared job a worker. */
  private checkRegistrations(plugin: LoadedPlugin): void {
    const { manifest, handlers, jobHandlers } = plugin.scope;
    const operationIds = new Set([...operationsOf(plugin.fragment ?? {})].map((o) => o.operation.operationId as string));
    const problems: string[] = [];
    for (const id of operationIds) if (!handlers.has(id)) problems.push(`plugin ${manifest.id}: operation ${id} has no handler`);
    for (const id of handlers.keys()) if (!operationIds.has(id)) problems.push(`plugin ${manifest.id}: handler ${id} has no operation in its contract`);
    for (const job of manifest.jobs ?? [])
      if (!jobHandlers.has(job.name)) problems.push(`plugin ${manifest.id}: job ${job.name} is declared but never handled`);
    if (problems.length > 0) throw new ContractError(problems);
  }

  private async startWorkers(plugin: LoadedPlugin): Promise<void> {
    for (const [name, handler] of plugin.scope.jobHandlers) {
      const concurrency = plugin.scope.manifest.jobs?.find((job) => job.name === name)?.concurrency;
      plugin.scope.undo.push(await this.deps.jobs.work(`${plugin.scope.manifest.id}.${name}`, handler, concurrency ? { concurrency } : {}));
    }
  }

  /** Builds contract, router and schema from core + loaded plugins and swaps them in. */
  private async publish(): Promise<void> {
    const { core, access } = this.deps;
    const plugins = [...this.loaded.values()];
    const document = mergeContract(
      core.document,
      plugins.filter((p) => p.fragment).map((p) => ({ owner: p.scope.manifest.id, document: p.fragment as Record<string, any> })),
    );
    const handlers = new Map<string, RegisteredHandler>(Object.entries(core.handlers).map(([id, handler]) => [id, { owner: 'core', handler }]));
    for (const plugin of plugins) for (const [id, handler] of plugin.scope.handlers) handlers.set(id, { owner: plugin.scope.manifest.id, handler });
    const unhandled = [...operationsOf(document)].filter(({ operation }) => !handlers.has(operation.operationId));
    if (unhandled.length > 0)
      throw new ContractError(unhandled.map(({ operation }) => `${operation['x-plugin']}: operation ${operation.operationId} has no handler`));
    const sdl: SdlFragment[] = [
      { owner: 'core', sdl: core.sdl },
      ...plugins.filter((p) => p.sdl).map((p) => ({ owner: p.scope.manifest.id, sdl: p.sdl as string })),
    ];
    const resolvers = [...core.resolvers, ...plugins.flatMap((p) => p.scope.resolvers)];
    const schema = buildSchema(sdl, resolvers);
    const router = await ContractRouter.create(document, handlers, access, this.deps.idempotency);
    this.router = router;
    this.schema = schema;
    await this.deps.onPublish?.();
  }

  private async setState(manifest: PluginManifest, state: PluginState, error?: string): Promise<void> {
    const status: PluginStatus = { id: manifest.id, version: manifest.version, state, ...(error ? { error } : {}) };
    this.status.set(manifest.id, status);
    await this.deps.onStateChange?.(status).catch((e) => this.deps.logger.warn({ err: e }, 'could not record plugin state'));
  }

  private serialise<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
