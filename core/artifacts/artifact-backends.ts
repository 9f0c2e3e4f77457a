import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { S3Config } from '../config/config.ts';
import { encodeSegment, signV4 } from './sigv4.ts';

/**
 * Where artifact files live once complete. Jobs always write a file to local disk first (the
 * staging path); `keep` moves it to its home, `open` streams it back for a download, `remove`
 * deletes it when it expires.
 */
export interface ArtifactBackend {
  readonly kind: 'local' | 's3';
  keep(storageKey: string, stagedPath: string): Promise<void>;
  open(storageKey: string): Promise<Readable | undefined>;
  remove(storageKey: string): Promise<void>;
}

/** The default: the staged file is the kept file, under `<dataDir>/artifacts/`. */
export class LocalDiskBackend implements ArtifactBackend {
  readonly kind = 'local' as const;
  constructor(private readonly pathOf: (storageKey: string) => string) {}

  async keep(): Promise<void> {}

  async open(storageKey: string): Promise<Readable | undefined> {
    const absolutePath = this.pathOf(storageKey);
    try {
      await stat(absolutePath);
    } catch {
      return undefined;
    }
    return createReadStream(absolutePath);
  }

  async remove(storageKey: string): Promise<void> {
    await rm(this.pathOf(storageKey), { force: true });
  }
}

/** Total deadlines of the store's calls: an upload or a download of a large file takes a while, a delete does not. */
const deadlines = { put: 15 * 60_000, get: 30 * 60_000, delete: 30_000 };
const emptyPayload = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * An S3-compatible object store (AWS S3, MinIO, Ceph, R2, …), addressed path-style
 * (`<endpoint>/<bucket>/<key>`) and signed with AWS Signature Version 4. Uploads stream the staged
 * file (its payload unsigned, as S3 allows over TLS) and then delete it; downloads stream the object.
 */
export class S3Backend implements ArtifactBackend {
  readonly kind = 's3' as const;
  private readonly base: URL;

  constructor(
    private readonly config: S3Config,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.base = new URL(config.endpoint);
  }

  async keep(storageKey: string, stagedPath: string): Promise<void> {
    const { size } = await stat(stagedPath);
    const response = await this.send('PUT', storageKey, {
      body: Readable.toWeb(createReadStream(stagedPath)) as unknown as RequestInit['body'],
      headers: { 'content-length': String(size), 'content-type': 'application/octet-stream' },
      payloadHash: 'UNSIGNED-PAYLOAD',
      deadlineMs: deadlines.put,
    });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`the artifact store refused ${storageKey}: ${response.status}`);
    await rm(stagedPath, { force: true });
  }

  async open(storageKey: string): Promise<Readable | undefined> {
    const response = await this.send('GET', storageKey, { payloadHash: emptyPayload, deadlineMs: deadlines.get });
    if (response.status === 404) {
      await response.arrayBuffer();
      return undefined;
    }
    if (!response.ok || !response.body) {
      await response.arrayBuffer();
      throw new Error(`the artifact store answered ${response.status} for ${storageKey}`);
    }
    return Readable.fromWeb(response.body as unknown as WebReadableStream);
  }

  async remove(storageKey: string): Promise<void> {
    const response = await this.send('DELETE', storageKey, { payloadHash: emptyPayload, deadlineMs: deadlines.delete });
    await response.arrayBuffer();
    // 404: already gone, which is what was asked.
    if (!response.ok && response.status !== 404) throw new Error(`the artifact store could not delete ${storageKey}: ${response.status}`);
  }

  private send(
    method: string,
    storageKey: string,
    options: { body?: RequestInit['body']; headers?: Record<string, string>; payloadHash: string; deadlineMs: number },
  ): Promise<Response> {
    const prefix = this.base.pathname.replace(/\/+$/, '');
    const objectPath = `${prefix}/${encodeSegment(this.config.bucket)}/${storageKey.split('/').map(encodeSegment).join('/')}`;
    const signed = signV4({
      method,
      host: this.base.host,
      path: objectPath,
      headers: options.headers?.['content-type'] ? { 'content-type': options.headers['content-type'] } : {},
      payloadHash: options.payloadHash,
      region: this.config.region,
      service: 's3',
      accessKeyId: this.config.accessKeyId,
      secretAccessKey: this.config.secretAccessKey,
      now: this.now(),
    });
    return fetch(new URL(objectPath, this.base), {
      method,
      headers: { ...options.headers, ...signed },
      body: options.body,
      signal: AbortSignal.timeout(options.deadlineMs),
      ...(options.body ? { duplex: 'half' } : {}),
    } as RequestInit);
  }
}

/** Path of a storage key under `root`, refusing keys that would leave it. */
export function pathUnder(root: string, storageKey: string): string {
  const resolved = path.resolve(root, storageKey);
  if (!resolved.startsWith(path.resolve(root) + path.sep)) throw new Error(`artifact key ${storageKey} leaves the store`);
  return resolved;
}
