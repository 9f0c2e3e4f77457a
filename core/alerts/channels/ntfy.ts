import { bodyText, headline, type NotificationContent, urgencyOf } from '../channel-formats.ts';
import { type ChannelType, json } from './channel-type.ts';

const priority = { critical: 5, warning: 4, info: 3 } as const;
const priorityOf = (c: NotificationContent) => {
  const urgency = urgencyOf(c);
  return urgency ? priority[urgency] : undefined;
};

/** ntfy JSON publishing: POST `{ topic, title, message, priority, tags }` to the server root; optional access token. */
export const ntfy: ChannelType = {
  type: 'ntfy',
  title: 'ntfy',
  fields: [
    { name: 'serverUrl', kind: 'url', description: 'ntfy server', default: 'https://ntfy.sh', maxLength: 2048 },
    { name: 'topic', kind: 'string', description: 'Topic to publish to', required: true, maxLength: 64 },
    { name: 'token', kind: 'string', description: 'Access token (tk_…) for a protected topic', secret: true, maxLength: 128 },
  ],
  build(config, c) {
    const tags = c.kind === 'resolved' ? ['white_check_mark'] : c.kind === 'test' ? ['test_tube'] : c.kind === 'message' ? ['bell'] : ['rotating_light'];
    return json(
      String(config.serverUrl),
      {
        topic: config.topic,
        title: headline(c).slice(0, 250),
        message: bodyText(c).slice(0, 4096),
        priority: priorityOf(c) ?? 3,
        tags,
      },
      config.token ? { authorization: `Bearer ${config.token}` } : {},
    );
  },
};
