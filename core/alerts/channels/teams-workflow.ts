import { adaptiveCardBody } from '../channel-formats.ts';
import { type ChannelType, json, urlField } from './channel-type.ts';

/** Microsoft Teams workflow (Power Automate "when a webhook request is received"): a message with an Adaptive Card attachment. */
export const teamsWorkflow: ChannelType = {
  type: 'teams-workflow',
  title: 'Microsoft Teams (workflow)',
  fields: [urlField('Workflow HTTP trigger URL')],
  build: (config, content) => json(String(config.url), adaptiveCardBody(content)),
};
