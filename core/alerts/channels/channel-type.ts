import type { NotificationContent } from '../channel-formats.ts';

/** One setting of a channel type; `secret` values are stored but never returned (GET shows them masked). */
export interface ChannelField {
  name: string;
  kind: 'url' | 'string' | 'emails' | 'integer' | 'enum';
  description: string;
  required?: boolean;
  secret?: boolean;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  values?: readonly string[];
  /** Applied when the field is absent, before `build` sees the config. */
  default?: string | number;
}

export type ChannelConfig = Record<string, string | number | undefined>;

/** What a notification becomes: one HTTP request (sent through the outbound guard) or one e-mail (sent through the guarded SMTP relay). */
export type ChannelMessage =
  | { transport: 'http'; url: string; method?: 'POST' | 'PUT'; headers?: Record<string, string>; body: string }
  | { transport: 'email'; to: string[]; subject: string; text: string; html: string };

/**
 * A channel type as data: its fields (validated on create and update, secrets masked on read) and
 * how a firing, resolved or test notification becomes a request in the service's own format.
 */
export interface ChannelType {
  type: string;
  title: string;
  fields: readonly ChannelField[];
  build(config: ChannelConfig, content: NotificationContent): ChannelMessage;
}

export const json = (url: string, body: unknown, headers: Record<string, string> = {}): ChannelMessage => ({
  transport: 'http',
  url,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** `https://api.example.org` + `/v2/x`, whether or not the configured base ends with a slash. */
export const joinUrl = (base: string, path: string) => `${base.replace(/\/+$/, '')}${path}`;

export const urlField = (description: string, secret = true): ChannelField => ({
  name: 'url',
  kind: 'url',
  description,
  required: true,
  secret,
  maxLength: 2048,
});
