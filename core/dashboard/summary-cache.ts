/**
 * The dashboard's answers per workspace, counted at most every `freshMs`: an operator console
 * polling every few seconds (from many browsers) costs one round of counting, not one per request.
 * A stale answer is served at once while one refresh runs behind it (stale-while-revalidate), so
 * no request waits on counting after the first; concurrent misses share one count.
 */
export class SummaryCache<T> {
  private readonly entries = new Map<string, { value?: T; at: number; refreshing?: Promise<T> }>();

  constructor(
    private readonly options: { freshMs: number; staleMs: number; maxEntries: number },
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string, count: () => Promise<T>): Promise<T> {
    const entry = this.entries.get(key);
    const age = entry?.value === undefined ? Number.POSITIVE_INFINITY : this.now() - entry.at;
    if (entry?.value !== undefined && age < this.options.freshMs) return entry.value;
    const refresh = () => {
      const current = this.entries.get(key) ?? { at: 0 };
      current.refreshing ??= count()
        .then((value) => {
          this.entries.delete(key);
          this.entries.set(key, { value, at: this.now() });
          this.evict();
          return value;
        })
        .finally(() => {
          current.refreshing = undefined;
        });
      this.entries.set(key, current);
      return current.refreshing;
    };
    if (entry?.value !== undefined && age < this.options.staleMs) {
      refresh().catch(() => undefined);
      return entry.value;
    }
    return refresh();
  }

  /** Oldest first: a Map iterates in insertion order and every refresh re-inserts. */
  private evict(): void {
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.options.maxEntries) return;
      this.entries.delete(key);
    }
  }
}
