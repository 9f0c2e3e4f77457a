import { slackCompatibleBody } from '../channel-formats.ts';
import { type ChannelType, json, urlField } from './channel-type.ts';

/** Mattermost incoming webhook: Slack-compatible `{ text, attachments }`, optional `username`. */
export const mattermost: ChannelType = {
  type: 'mattermost',
  title: 'Mattermost',
  fields: [
    urlField('Incoming webhook URL (https://mattermost.example.org/hooks/…)'),
    { name: 'username', kind: 'string', description: 'Name the post shows (if the server allows overriding it)', maxLength: 64 },
  ],
  build: (config, content) => json(String(config.url), slackCompatibleBody(content, config.username as string | undefined)),
};
