import { slackCompatibleBody } from '../channel-formats.ts';
import { type ChannelType, json, urlField } from './channel-type.ts';

/** Rocket.Chat incoming webhook: Slack-compatible `{ text, attachments }`, optional `username` alias. */
export const rocketchat: ChannelType = {
  type: 'rocketchat',
  title: 'Rocket.Chat',
  fields: [
    urlField('Incoming webhook URL (https://chat.example.org/hooks/…)'),
    { name: 'username', kind: 'string', description: 'Alias the message shows', maxLength: 64 },
  ],
  build: (config, content) => json(String(config.url), slackCompatibleBody(content, config.username as string | undefined)),
};
