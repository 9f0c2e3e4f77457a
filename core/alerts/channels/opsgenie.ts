import { bodyText, facts, headline, severityOf } from '../channel-formats.ts';
import { type ChannelType, joinUrl, json } from './channel-type.ts';

const priority = { critical: 'P1', warning: 'P3', info: 'P5' } as const;

/**
 * Opsgenie Alert API: create on firing, close on resolved, both by `alias` = the alert's
 * fingerprint (Opsgenie deduplicates open alerts by alias). `GenieKey` authorization.
 */
export const opsgenie: ChannelType = {
  type: 'opsgenie',
  title: 'Opsgenie',
  fields: [
    { name: 'apiKey', kind: 'string', description: 'API key of an API integration', required: true, secret: true, maxLength: 128 },
    {
      name: 'apiUrl',
      kind: 'url',
      description: 'API base (https://api.eu.opsgenie.com for the EU instance)',
      default: 'https://api.opsgenie.com',
      maxLength: 2048,
    },
  ],
  build(config, c) {
    const auth = { authorization: `GenieKey ${config.apiKey}` };
    const alias = c.alert ? c.alert.fingerprint : c.reference ? `itops-${c.reference}` : `itops-test-${c.channelName}`;
    if (c.kind === 'resolved') {
      return json(
        joinUrl(String(config.apiUrl), `/v2/alerts/${encodeURIComponent(alias)}/close?identifierType=alias`),
        { source: 'itops', note: headline(c) },
        auth,
      );
    }
    return json(
      joinUrl(String(config.apiUrl), '/v2/alerts'),
      {
        message: (c.alert?.title ?? c.title ?? headline(c)).slice(0, 130),
        alias: alias.slice(0, 512),
        description: bodyText(c).slice(0, 15000),
        priority: severityOf(c) ? priority[severityOf(c) as keyof typeof priority] : 'P5',
        source: 'itops',
        entity: c.alert ? `${c.alert.entityType}/${c.alert.entityId}` : undefined,
        tags: c.alert ? [c.alert.source, c.alert.severity] : c.kind === 'message' ? [c.source ?? 'itops', c.severity ?? 'info'] : ['test'],
        details: Object.fromEntries(facts(c).map((f) => [f.name, f.value])),
      },
      auth,
    );
  },
};
