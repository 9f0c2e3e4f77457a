import { createHash, randomBytes } from 'node:crypto';

/** Session tokens: the bearer prefix the platform routes to this plugin. */
export const sessionTokenPrefix = 'itp_';
/** Invite tokens are never bearer tokens: a prefix of their own, refused as credentials. */
export const inviteTokenPrefix = 'itpinvite_';
/** Staff-issued session tokens: like invites, exchanged for a session, never bearer tokens. */
export const staffTokenPrefix = 'itpstaff_';

export const newToken = (prefix: string) => `${prefix}${randomBytes(32).toString('base64url')}`;

/** What is stored of a token: its SHA-256 (the token is 256 random bits, so no salt or slow hash is needed). */
export const tokenHash = (token: string) => createHash('sha256').update(token).digest();
