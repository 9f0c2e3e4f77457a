import { unscopedEventsToken } from '../kernel/plugin-names.ts';
import { type AlertsService, type DatabaseService, definePlugin, type EventsService, tokens } from '../plugin-api/index.ts';

export interface ProbedServices {
  database: DatabaseService;
  events: EventsService;
  alerts: AlertsService;
}

/**
 * A plugin that hands a test or a bench the platform services, exactly as any plugin gets them.
 * Load it with the kernel; `services()` answers once the kernel has started it. Its events service
 * publishes any declared topic: a test drives other plugins' internals through it.
 */
export function servicesProbe(id = 'services_probe') {
  let services: ProbedServices | undefined;
  const plugin = definePlugin({
    id,
    version: '1.0.0',
    host: '>=0.1.0 <1.0.0',
    init(ctx) {
      services = { database: ctx.get(tokens.database), events: ctx.get(unscopedEventsToken), alerts: ctx.get(tokens.alerts) };
    },
  });
  return {
    plugin,
    services: (): ProbedServices => {
      if (!services) throw new Error(`the probe ${id} has not been started by a kernel`);
      return services;
    },
  };
}
