// tsyringe needs the Reflect polyfill loaded before it; this is the one place that imports it.
import 'reflect-metadata';
import { container, type DependencyContainer } from 'tsyringe';
import type { ServiceToken } from '../plugin-api/tokens.ts';

export type { DependencyContainer };

export function createRootContainer(): DependencyContainer {
  return container.createChildContainer();
}

export function registerValue<T>(target: DependencyContainer, token: ServiceToken<T>, value: T): void {
  target.register(token.id, { useValue: value });
}

export function resolveToken<T>(source: DependencyContainer, token: ServiceToken<T>): T {
  if (!source.isRegistered(token.id, true)) throw new Error(`no service is registered for token "${token.description}"`);
  return source.resolve<T>(token.id);
}
