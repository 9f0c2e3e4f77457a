import type { IncomingMessage, ServerResponse } from 'node:http';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** Counts requests being answered, so shutdown can wait for them instead of cutting them off. */
export class InFlight {
  private count = 0;
  private waiters: (() => void)[] = [];

  wrap(listener: Listener): Listener {
    return (req, res) => {
      this.count += 1;
      res.once('close', () => {
        this.count -= 1;
        if (this.count === 0) for (const wake of this.waiters.splice(0)) wake();
      });
      listener(req, res);
    };
  }

  get size(): number {
    return this.count;
  }

  drained(timeoutMs: number): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
