import { coreSdl, type RegisteredResolver } from '../graphql/schema-builder.ts';
import { systemHandlers, type SystemDependencies } from '../http/system.handlers.ts';
import { coreDocument, coreFragments } from '../contract/core-fragments.ts';
import type { CoreModule } from './core-module.ts';
import { metricsPermissions, metricsPolicies } from '../http/plugin-metrics.ts';
import type { CoreContribution } from './plugin-host.ts';

function coreResolvers(deps: SystemDependencies): RegisteredResolver[] {
  const entry = (typeName: string, fieldName: string, resolver: RegisteredResolver['resolver']): RegisteredResolver => ({
    owner: 'core',
    typeName,
    fieldName,
    resolver,
  });
  return [
    entry('Query', 'health', () => ({ status: 'ok', version: deps.version })),
    entry('Query', 'plugins', () => deps.plugins().filter((p) => p.state === 'loaded')),
    entry('Mutation', 'echo', (_parent, args: { message: string }) => args.message),
    entry('Subscription', 'serverTime', {
      subscribe: async function* (_parent: unknown, args: { intervalMs?: number }) {
        const interval = Math.max(1000, args.intervalMs ?? 5000);
        while (true) {
          yield { serverTime: new Date() };
          await new Promise((resolve) => setTimeout(resolve, interval));
        }
      },
    }),
  ];
}

/** The core's own operations, SDL and resolvers (root document + core modules), published alongside the plugins'. */
export function coreContribution(deps: SystemDependencies, modules: CoreModule[] = []): CoreContribution {
  const handlers = { ...systemHandlers(deps) };
  for (const module of modules) {
    for (const [id, handler] of Object.entries(module.handlers)) {
      if (id in handlers) throw new Error(`core module ${module.id} registers handler ${id}, which is already registered`);
      handlers[id] = handler;
    }
  }
  // Every core fragment is served, so a module without its handlers fails the handler check at boot.
  const served = new Set(Object.values(coreFragments).map((url) => url.href));
  for (const module of modules) {
    if (module.openapi && !served.has(module.openapi.href))
      throw new Error(`core module ${module.id} has a fragment missing from core/contract/core-fragments.ts`);
  }
  return {
    document: coreDocument(),
    handlers,
    sdl: [coreSdl(), ...modules.flatMap((m) => (m.sdl ? [m.sdl] : []))].join('\n'),
    resolvers: [...coreResolvers(deps), ...modules.flatMap((m) => m.resolvers ?? [])],
    permissions: [...metricsPermissions, ...modules.flatMap((m) => m.permissions ?? [])],
    policies: [...metricsPolicies, ...modules.flatMap((m) => m.policies ?? [])],
  };
}
