import { discordBody } from '../channel-formats.ts';
import { type ChannelType, json, urlField } from './channel-type.ts';

/** Discord webhook: `{ content, embeds }`. */
export const discord: ChannelType = {
  type: 'discord',
  title: 'Discord',
  fields: [urlField('Webhook URL (https://discord.com/api/webhooks/…)')],
  build: (config, content) => json(String(config.url), discordBody(content)),
};
