import { headline, htmlBody, plainText } from '../channel-formats.ts';
import type { ChannelType } from './channel-type.ts';

/** E-mail through the SMTP relay configured with ITOPS_SMTP_*: text and HTML alternatives. */
export const email: ChannelType = {
  type: 'email',
  title: 'E-mail',
  fields: [{ name: 'to', kind: 'emails', description: 'Recipients, comma-separated (at most 20)', required: true, maxLength: 2000 }],
  build: (config, c) => ({
    transport: 'email',
    to: String(config.to)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    subject: headline(c).slice(0, 200),
    text: plainText(c),
    html: htmlBody(c),
  }),
};
