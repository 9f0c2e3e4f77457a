import { bodyText, headline, type NotificationContent, urgencyOf } from '../channel-formats.ts';
import { type ChannelType, joinUrl, json } from './channel-type.ts';

const priority = { critical: 8, warning: 5, info: 2 } as const;
const priorityOf = (c: NotificationContent) => {
  const urgency = urgencyOf(c);
  return urgency ? priority[urgency] : undefined;
};

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
        priority: priorityOf(c) ?? 2,
        extras: { 'client::display': { contentType: 'text/plain' } },
      },
      { 'x-gotify-key': String(config.appToken) },
    ),
};
