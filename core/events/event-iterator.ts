import { AppError } from '../errors/app-error.ts';
import type { EventBus, EventFilter } from './event-bus.ts';
import type { OutboxEvent } from './event-outbox.ts';

/**
 * The event bus as an async iterator for GraphQL subscriptions. Each subscription buffers at most
 * `maxQueued` events; a client that falls further behind gets an error and its subscription ends,
 * so one slow client can neither stall the others nor grow memory without bound.
 */
export function eventIterator(bus: EventBus, filter: EventFilter, maxQueued = 1000): AsyncIterableIterator<OutboxEvent> {
  const queue: OutboxEvent[] = [];
  let wake: (() => void) | undefined;
  let overflowed = false;
  let done = false;
  const unsubscribe = bus.subscribe((event) => {
    if (queue.length >= maxQueued) overflowed = true;
    else queue.push(event);
    wake?.();
  }, filter);
  const finish = () => {
    done = true;
    unsubscribe();
    wake?.();
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next(): Promise<IteratorResult<OutboxEvent>> {
      while (!done) {
        if (overflowed) {
          finish();
          throw new AppError('rate_limited', `This subscription fell more than ${maxQueued} events behind and was ended; resubscribe`);
        }
        const event = queue.shift();
        if (event) return { value: event, done: false };
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
      return { value: undefined, done: true };
    },
    async return(): Promise<IteratorResult<OutboxEvent>> {
      finish();
      return { value: undefined, done: true };
    },
  };
}
