import { bodyText, headline } from '../channel-formats.ts';
import { type ChannelType, joinUrl, json } from './channel-type.ts';

const escapeHtml = (s: string) => s.replace(/[&<>]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[ch] as string);

/** Telegram Bot API `sendMessage` with HTML parse mode (only the tags Telegram allows). */
export const telegram: ChannelType = {
  type: 'telegram',
  title: 'Telegram',
  fields: [
    { name: 'botToken', kind: 'string', description: 'Bot token from @BotFather', required: true, secret: true, maxLength: 128 },
    { name: 'chatId', kind: 'string', description: 'Chat, group or channel id (or @channelname)', required: true, maxLength: 64 },
    { name: 'apiUrl', kind: 'url', description: 'Bot API base (a local Bot API server, if any)', default: 'https://api.telegram.org', maxLength: 2048 },
  ],
  build: (config, c) =>
    json(joinUrl(String(config.apiUrl), `/bot${config.botToken}/sendMessage`), {
      chat_id: config.chatId,
      text: `<b>${escapeHtml(headline(c))}</b>\n${escapeHtml(bodyText(c))}`.slice(0, 4096),
      parse_mode: 'HTML',
      disable_web_page_preview: true,
    }),
};
