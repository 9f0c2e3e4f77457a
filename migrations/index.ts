import type { MigrationObject } from '@mikro-orm/postgresql';
import { CorePluginState } from './0001-core-plugin-state.ts';
import { IdentityAndAccess } from './0002-identity-and-access.ts';
import { EventOutbox } from './0003-event-outbox.ts';
import { Webhooks } from './0004-webhooks.ts';
import { Alerts } from './0005-alerts.ts';
import { Sla } from './0006-sla.ts';
import { Heartbeats } from './0007-heartbeats.ts';
import { EndpointsAndCertificates } from './0008-endpoints-and-certificates.ts';
import { StatusPage } from './0009-status-page.ts';

/**
 * The one ordered history of core and first-party plugin migrations. Names are their order:
 * append, never reorder or edit a migration that has shipped.
 */
export const migrations: MigrationObject[] = [
  { name: '0001-core-plugin-state', class: CorePluginState },
  { name: '0002-identity-and-access', class: IdentityAndAccess },
  { name: '0003-event-outbox', class: EventOutbox },
  { name: '0004-webhooks', class: Webhooks },
  { name: '0005-alerts', class: Alerts },
  { name: '0006-sla', class: Sla },
  { name: '0007-heartbeats', class: Heartbeats },
  { name: '0008-endpoints-and-certificates', class: EndpointsAndCertificates },
  { name: '0009-status-page', class: StatusPage },
];
