import type { Database } from '../../db/database.ts';
import { EventBus } from '../../events/event-bus.ts';
import { eventIterator } from '../../events/event-iterator.ts';
import { EventOutbox } from '../../events/event-outbox.ts';
import { eventsModule } from '../../events/events.module.ts';
import type { Logger } from '../../logging/logger.ts';
import type { EventDeclaration, EventsService } from '../../plugin-api/index.ts';
import type { AjvSchemaValidator } from '../../validation/schema-validator.ts';
import { bootModule } from './stop-steps.ts';

/**
 * Events: the bus that hears every node's commits, the outbox that publishes inside a transaction
 * (checked against `topics`, the declared ones), the service plugins get, and the HTTP/GraphQL module.
 */
export function startEvents(deps: {
  databaseUrl: string;
  database: Database;
  validator: AjvSchemaValidator;
  logger: Logger;
  declarationOf: (topic: string) => EventDeclaration | undefined;
}) {
  const { database, logger } = deps;
  return bootModule(logger, async (onStop) => {
    const bus = new EventBus(deps.databaseUrl, database.query, logger);
    await bus.start();
    onStop(() => bus.stop());
    const outbox = new EventOutbox(deps.declarationOf, deps.validator);
    // Events join the observed mutation of their transaction (security events reach the audit trail).
    outbox.onPublish(async (tx, events) => database.mutationObservers.noteEvents(tx, events));
    const service: EventsService = {
      publish: (tx, event) => outbox.publish(tx, event),
      publishMany: (tx, list) => outbox.publishMany(tx, list),
      subscribe: (handler, filter) => bus.subscribe(handler, filter),
      iterate: (filter) => eventIterator(bus, filter),
    };
    return { bus, outbox, service, module: eventsModule({ bus, database }) };
  });
}
