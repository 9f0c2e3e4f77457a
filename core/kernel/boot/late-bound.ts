/**
 * A value built after the things that refer to it: the plugin host takes the core features'
 * contribution when it is built, and those features ask the host about plugins later, at run time.
 */
export class LateBound<T> {
  #value?: T;

  constructor(private readonly name: string) {}

  set(value: T): void {
    this.#value = value;
  }

  /** Undefined until it is built. */
  current(): T | undefined {
    return this.#value;
  }

  get(): T {
    if (this.#value === undefined) throw new Error(`${this.name} is not built yet`);
    return this.#value;
  }
}
