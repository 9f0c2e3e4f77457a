/**
 * Typed service references. A token carries the type of the service it names, so
 * `ctx.get(tokens.database)` is typed without casts and plugins never build services themselves.
 */
export interface ServiceToken<T> {
  readonly id: symbol;
  readonly description: string;
  /** Phantom field: carries T for inference only. */
  readonly __type?: T;
}

export function createServiceToken<T>(description: string): ServiceToken<T> {
  return { id: Symbol.for(`itops:${description}`), description };
}
