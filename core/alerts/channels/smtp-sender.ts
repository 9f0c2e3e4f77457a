import { lookup } from 'node:dns/promises';
import net from 'node:net';
import type { SmtpConfig } from '../../config/config.ts';
import { addressVerdict } from '../../outbound/address-policy.ts';
import { OutboundBlockedError } from '../../outbound/outbound-http.ts';

export interface MailSettings {
  smtp?: SmtpConfig;
  /** ITOPS_SECURITY_WEBHOOK_HOST_ALLOWLIST: relays that may sit on a private address. */
  hostAllowlist: string[];
  /** ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS (development only). */
  allowPrivate: boolean;
  /** Resolver (tests inject one); defaults to the system's. */
  resolve?: (host: string) => Promise<string[]>;
}

export type Mail = { to: string[]; subject: string; text: string; html: string };

const systemResolve = async (host: string) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Sends notification e-mail through the configured relay under the outbound address policy: the
 * relay's name is resolved once, every address checked (unless allowlisted), and the socket opened
 * to the checked address, so DNS cannot point it elsewhere between check and connect. `timeoutMs`
 * bounds the whole exchange (connect, TLS, AUTH, DATA): at the deadline the socket is destroyed.
 */
export class SmtpSender {
  constructor(private readonly settings: MailSettings) {}

  async send(mail: Mail, timeoutMs = 30_000): Promise<string> {
    const smtp = this.settings.smtp;
    if (!smtp) throw new OutboundBlockedError('no SMTP relay is configured (ITOPS_SMTP_HOST)');
    const address = await this.check(smtp.host);
    // Loaded on the first mail, not at boot: about 40 modules that a node (or a test process)
    // without e-mail channels never needs.
    const { default: nodemailer } = await import('nodemailer');
    let socket: net.Socket | undefined;
    let timer: NodeJS.Timeout | undefined;
    const transport = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      auth: smtp.user ? { user: smtp.user, pass: smtp.password } : undefined,
      tls: net.isIP(smtp.host) ? undefined : { servername: smtp.host },
      getSocket: (_options, callback) => {
        socket = net.connect({ host: address, port: smtp.port });
        socket.once('connect', () => callback(null, { connection: socket }));
        socket.once('error', (error) => callback(error));
      },
    });
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        socket?.destroy();
        transport.close();
        reject(new Error(`the SMTP relay did not take the message within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      const info = await Promise.race([
        transport.sendMail({ from: smtp.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html }),
        deadline,
      ]);
      return String(info.response ?? '');
    } finally {
      clearTimeout(timer);
      transport.close();
    }
  }

  private async check(host: string): Promise<string> {
    const allowlisted = this.settings.allowPrivate || this.settings.hostAllowlist.some((h) => h.toLowerCase() === host.toLowerCase());
    const addresses = net.isIP(host)
      ? [host]
      : await (this.settings.resolve ?? systemResolve)(host).catch(() => {
          throw new OutboundBlockedError(`the SMTP relay ${host} could not be resolved`);
        });
    if (addresses.length === 0) throw new OutboundBlockedError(`the SMTP relay ${host} has no address`);
    if (!allowlisted) {
      for (const address of addresses) {
        const verdict = addressVerdict(address);
        if (!verdict.allowed)
          throw new OutboundBlockedError(`the SMTP relay ${host} is not allowed: ${verdict.reason} (see ITOPS_SECURITY_WEBHOOK_HOST_ALLOWLIST)`);
      }
    }
    return addresses[0];
  }
}
