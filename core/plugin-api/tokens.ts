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

/**
 * Every call makes a new, unique token: a plugin cannot reach, or `provide` over, another's service
 * by guessing its description. Share a token by exporting the token itself.
 */
export function createServiceToken<T>(description: string): ServiceToken<T> {
  return { id: Symbol(description), description };
}
