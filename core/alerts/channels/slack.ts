import { slackBody } from '../channel-formats.ts';
import { type ChannelType, json, urlField } from './channel-type.ts';

/** Slack incoming webhook: Block Kit `{ text, blocks }`. */
export const slack: ChannelType = {
  type: 'slack',
  title: 'Slack',
  fields: [urlField('Incoming webhook URL (https://hooks.slack.com/services/…)')],
  build: (config, content) => json(String(config.url), slackBody(content)),
};
