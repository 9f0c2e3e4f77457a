import { createHmac } from 'node:crypto';

/**
 * The `webhook-signature` value of an outgoing delivery, Standard Webhooks 1.0: `v1,` and the base64
 * HMAC-SHA256 of `{id}.{timestamp}.{body}`, keyed with the base64 part of the subscription's
 * `whsec_` secret. During a secret's rotation grace period there are two secrets: the value then
 * lists one signature per secret, space-separated, and a receiver holding either verifies. Receivers
 * check it with the SDK's verifyWebhook; core only signs, and the secrets it signs with are ones it
 * generated, so there is no malformed secret to report here.
 */
export function signWebhook(secrets: string | string[], id: string, timestamp: number, body: string): string {
  return (Array.isArray(secrets) ? secrets : [secrets])
    .map((secret) => {
      const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
      return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
    })
    .join(' ');
}
