import { bodyText, headline, type NotificationContent, urgencyOf } from '../channel-formats.ts';
import { type ChannelType, json } from './channel-type.ts';

const priority = { critical: 1, warning: 0, info: -1 } as const;
const priorityOf = (c: NotificationContent) => {
  const urgency = urgencyOf(c);
  return urgency ? priority[urgency] : undefined;
};

/** Pushover Message API: `{ token, user, title, message, priority, timestamp }` as JSON. */
export const pushover: ChannelType = {
  type: 'pushover',
  title: 'Pushover',
  fields: [
    { name: 'appToken', kind: 'string', description: 'Application API token', required: true, secret: true, maxLength: 64 },
    { name: 'userKey', kind: 'string', description: 'User or group key', required: true, secret: true, maxLength: 64 },
    { name: 'device', kind: 'string', description: 'Only this device (empty: all)', maxLength: 64 },
    { name: 'apiUrl', kind: 'url', description: 'Messages endpoint', default: 'https://api.pushover.net/1/messages.json', maxLength: 2048 },
  ],
  build: (config, c) =>
    json(String(config.apiUrl), {
      token: config.appToken,
      user: config.userKey,
      ...(config.device ? { device: config.device } : {}),
      title: headline(c).slice(0, 250),
      message: bodyText(c).slice(0, 1024),
      priority: priorityOf(c) ?? 0,
      timestamp: Math.floor(new Date(c.alert?.resolvedAt ?? c.alert?.lastSeenAt ?? Date.now()).getTime() / 1000),
    }),
};
