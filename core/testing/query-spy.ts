import pg from 'pg';

/**
 * Records the text of every query the pg clients of this process send, until `restore`: for tests
 * that count round trips (a transaction's first statement travelling with its BEGIN, an observer
 * reading its rows without a query).
 */
export function spyOnQueries(): { sent: string[]; restore: () => void } {
  const sent: string[] = [];
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
    const config = args[0];
    sent.push(typeof config === 'string' ? config : String((config as { text?: string })?.text));
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  return {
    sent,
    restore: () => {
      pg.Client.prototype.query = original;
    },
  };
}
