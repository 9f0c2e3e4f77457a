/** The SDK for Node: the browser entry plus `verifyWebhook` (Standard Webhooks, on node:crypto). */
export * from './browser.ts';
export * from './webhook-signature.ts';
