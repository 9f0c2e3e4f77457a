import { randomUUID } from 'node:crypto';
import type { SqlQuery } from '../db/sql-handles.ts';
import type { Logger } from '../logging/logger.ts';

/** Controls of one periodic task. */
export interface Periodic {
  /** Run a round as soon as no other node runs one (skips the wait for the next interval). */
  wake(): void;
  /** No new rounds on this node; resolves when the round in progress ended. */
  stop(): Promise<void>;
}

/**
 * Periodic work with one runner across nodes: every node ticks, and a round starts only on the
 * node that takes the task's lease (one row per task), so rounds never overlap anywhere and run
 * about once per interval however many nodes there are. A wake skips the wait, not the lease.
 * A round that outlives its lease (a crashed node) is taken over once the lease ends.
 */
export class PeriodicRunner {
  private readonly node = randomUUID();

  constructor(
    private readonly query: SqlQuery,
    private readonly logger: Logger,
    private readonly enabled: boolean,
  ) {}

  start(name: string, intervalMs: number, round: (signal: AbortSignal) => Promise<unknown>, leaseMs = Math.max(60_000, intervalMs * 2)): Periodic {
    if (!this.enabled) return { wake: () => undefined, stop: async () => undefined };
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<void> | null = null;
    let woken = false;
    let stopped = false;
    const schedule = (ms: number) => {
      clearTimeout(timer);
      if (!stopped) timer = setTimeout(tick, ms);
    };
    const tick = () => {
      if (stopped || running) return;
      const wake = woken;
      woken = false;
      running = (async () => {
        const [claim] = await this.query<{ name: string }>(
          `INSERT INTO core_periodic_run (name, running_by, running_until, next_at) VALUES (?, ?, now() + ? * interval '1 millisecond', now())
           ON CONFLICT (name) DO UPDATE SET running_by = excluded.running_by, running_until = excluded.running_until
           WHERE core_periodic_run.running_until IS NULL OR core_periodic_run.running_until < now()
             ${wake ? '' : 'AND core_periodic_run.next_at <= now()'}
           RETURNING name`,
          [name, this.node, leaseMs],
        );
        if (!claim) return;
        try {
          await round(abort.signal);
        } finally {
          await this.query(
            `UPDATE core_periodic_run SET running_by = NULL, running_until = NULL, next_at = now() + ? * interval '1 millisecond'
             WHERE name = ? AND running_by = ?`,
            [intervalMs, name, this.node],
          );
        }
      })()
        .catch((error) => this.logger.error({ err: error, task: name }, 'periodic task failed'))
        .finally(() => {
          running = null;
          // Rounds are spread over the interval's last tenth, so nodes do not all ask at once.
          schedule(woken ? 0 : intervalMs + Math.random() * intervalMs * 0.1);
        });
    };
    schedule(Math.random() * Math.min(intervalMs, 1000));
    return {
      wake: () => {
        woken = true;
        if (!running) schedule(0);
      },
      stop: async () => {
        stopped = true;
        clearTimeout(timer);
        abort.abort();
        await running;
      },
    };
  }
}
