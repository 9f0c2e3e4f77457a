import { bodyText, headline } from '../channel-formats.ts';
import { type ChannelType, joinUrl, json } from './channel-type.ts';

const priority = { critical: 8, warning: 5, info: 2 } as const;

/** Gotify `POST /message` with the application token in `X-Gotify-Key`. */
export const gotify: ChannelType = {
  type: 'gotify',
  title: 'Gotify',
  fields: [
    { name: 'serverUrl', kind: 'url', description: 'Gotify server', required: true, maxLength: 2048 },
    { name: 'appToken', kind: 'string', description: 'Application token', required: true, secret: true, maxLength: 128 },
  ],
  build: (config, c) =>
    json(
      joinUrl(String(config.serverUrl), '/message'),
      {
        title: headline(c),
        message: bodyText(c),
        priority: c.kind === 'firing' && c.alert ? priority[c.alert.severity] : 2,
        extras: { 'client::display': { contentType: 'text/plain' } },
      },
      { 'x-gotify-key': String(config.appToken) },
    ),
};
