import { bodyText, headline, severityOf } from '../channel-formats.ts';
import { type ChannelType, json } from './channel-type.ts';

/**
 * PagerDuty Events API v2: `trigger` on firing and `resolve` on resolved, both keyed by the alert's
 * fingerprint (`dedup_key`), so PagerDuty folds repeats into one incident and closes it. A test is a
 * trigger with its own key (PagerDuty has no test event).
 */
export const pagerduty: ChannelType = {
  type: 'pagerduty',
  title: 'PagerDuty (Events API v2)',
  fields: [
    { name: 'routingKey', kind: 'string', description: 'Integration key of an Events API v2 integration', required: true, secret: true, maxLength: 64 },
    { name: 'eventsUrl', kind: 'url', description: 'Events API endpoint', default: 'https://events.pagerduty.com/v2/enqueue', maxLength: 2048 },
  ],
  build(config, c) {
    const base = { routing_key: config.routingKey, client: 'itops' };
    if (c.kind === 'resolved' && c.alert) return json(String(config.eventsUrl), { ...base, event_action: 'resolve', dedup_key: c.alert.fingerprint });
    const a = c.alert;
    return json(String(config.eventsUrl), {
      ...base,
      event_action: 'trigger',
      dedup_key: a ? a.fingerprint : c.reference ? `itops-${c.reference}` : `itops-test-${c.channelName}`,
      payload: {
        summary: headline(c).slice(0, 1024),
        source: a ? `${a.entityType}/${a.entityId}` : 'itops',
        severity: severityOf(c) ?? 'info',
        timestamp: a?.lastSeenAt ?? new Date().toISOString(),
        component: a?.entityId,
        group: a?.source ?? c.source,
        class: a?.entityType,
        custom_details: a ? { message: bodyText(c), occurrences: a.count, firstSeenAt: a.firstSeenAt, ...a.labels } : { message: bodyText(c) },
      },
    });
  },
};
