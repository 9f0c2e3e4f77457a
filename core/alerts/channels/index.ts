import type { ChannelType } from './channel-type.ts';
import { discord } from './discord.ts';
import { email } from './email.ts';
import { gotify } from './gotify.ts';
import { mattermost } from './mattermost.ts';
import { ntfy } from './ntfy.ts';
import { opsgenie } from './opsgenie.ts';
import { pagerduty } from './pagerduty.ts';
import { pushover } from './pushover.ts';
import { rocketchat } from './rocketchat.ts';
import { slack } from './slack.ts';
import { teams } from './teams.ts';
import { teamsWorkflow } from './teams-workflow.ts';
import { telegram } from './telegram.ts';
import { webhook } from './webhook.ts';

/** Every channel type; adding one is a file beside these and a line here (the contract's schemas follow from it). */
export const channelTypes: readonly ChannelType[] = [
  slack,
  discord,
  teams,
  webhook,
  email,
  pagerduty,
  opsgenie,
  telegram,
  ntfy,
  pushover,
  gotify,
  mattermost,
  rocketchat,
  teamsWorkflow,
];

const byName = new Map(channelTypes.map((t) => [t.type, t]));
export const channelType = (name: string): ChannelType | undefined => byName.get(name);
