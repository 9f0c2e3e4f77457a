/**
 * The dashboard's answers per workspace, counted at most every `freshMs`: an operator console
 * polling every few seconds (from many browsers) costs one round of counting, not one per request.
 * Past `freshMs` a request starts one refresh and waits for it at most `staleWaitMs`: counting
 * usually takes milliseconds, so the answer is new; while counting is slow (a loaded database) the
 * last answer is served instead (stale-while-revalidate, up to `staleMs`), so no request waits on
 * counting longer than that after the first. Concurrent misses share one count.
 */
export class SummaryCache<T> {
  private readonly entries = new Map<string, { value?: T; at: number; refreshing?: Promise<T> }>();

  constructor(
    private readonly options: { freshMs: number; staleMs: number; staleWaitMs?: number; maxEntries: number },
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
      const stale = entry.value;
      const refreshed = refresh().catch(() => stale);
      const wait = this.options.staleWaitMs ?? 0;
      if (wait <= 0) return stale;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<T>((resolve) => {
        timer = setTimeout(() => resolve(stale), wait);
      });
      return Promise.race([refreshed, late]).finally(() => clearTimeout(timer));
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
