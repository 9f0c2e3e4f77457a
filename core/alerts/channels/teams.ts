import { teamsBody } from '../channel-formats.ts';
import { type ChannelType, json, urlField } from './channel-type.ts';

/** Microsoft Teams Office 365 connector (legacy): a MessageCard. New setups use `teams-workflow`. */
export const teams: ChannelType = {
  type: 'teams',
  title: 'Microsoft Teams (Office 365 connector)',
  fields: [urlField('Incoming webhook connector URL')],
  build: (config, content) => json(String(config.url), teamsBody(content)),
};
