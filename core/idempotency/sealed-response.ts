import { randomBytes } from 'node:crypto';
import { keyBytes, open, seal, unwrapKey, wrapKey } from '../secrets/envelope.ts';
import type { MasterKeyring } from '../secrets/master-key.ts';

/**
 * A stored response body, sealed the way secrets are (AES-256-GCM under a data key of its own,
 * wrapped by the master key). Bodies are kept for replay, and some carry a value shown once (a
 * webhook's signing secret, an API key, a refresh token, an enrollment secret): sealing every body,
 * rather than redacting the fields known to be secret, keeps a retry's answer byte for byte the
 * first one and needs no list of such fields that a new operation could miss.
 */
export interface SealedBody {
  ciphertext: Buffer;
  wrappedKey: Buffer;
  masterKeyId: string;
}

/** Both bind the blob to its record: a body copied onto another key's record does not open. */
const bodyAddress = (scope: string, key: string) => `itops idempotent response\0${scope}\0${key}`;
const dataKeyAddress = (scope: string, key: string) => `itops idempotent response key\0${scope}\0${key}`;

export function sealBody(keyring: MasterKeyring, scope: string, key: string, body: Buffer): SealedBody {
  const dataKey = randomBytes(keyBytes);
  const { id, key: masterKey } = keyring.primary;
  try {
    return { ciphertext: seal(dataKey, body, bodyAddress(scope, key)), wrappedKey: wrapKey(masterKey, dataKey, dataKeyAddress(scope, key)), masterKeyId: id };
  } finally {
    dataKey.fill(0);
  }
}

export async function openBody(keyring: MasterKeyring, scope: string, key: string, sealed: SealedBody): Promise<Buffer> {
  const dataKey = unwrapKey(await keyring.key(sealed.masterKeyId), sealed.wrappedKey, dataKeyAddress(scope, key));
  try {
    return open(dataKey, sealed.ciphertext, bodyAddress(scope, key));
  } finally {
    dataKey.fill(0);
  }
}

/** The same data key wrapped by another master key (a master key rotation): the body's ciphertext stays. */
export function rewrapBodyKey(from: Buffer, to: Buffer, scope: string, key: string, wrappedKey: Buffer): Buffer {
  const dataKey = unwrapKey(from, wrappedKey, dataKeyAddress(scope, key));
  try {
    return wrapKey(to, dataKey, dataKeyAddress(scope, key));
  } finally {
    dataKey.fill(0);
  }
}
