import { readDocument, rootDocumentUrl } from '../contract/contract-document.ts';
import { coreSdl, type RegisteredResolver } from '../graphql/schema-builder.ts';
import { systemHandlers, type SystemDependencies } from '../http/system.handlers.ts';
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

/** The core's own operations, SDL and resolvers, published alongside the plugins'. */
export function coreContribution(deps: SystemDependencies): CoreContribution {
  return {
    document: readDocument(rootDocumentUrl()),
    handlers: systemHandlers(deps),
    sdl: coreSdl(),
    resolvers: coreResolvers(deps),
    permissions: [],
  };
}
