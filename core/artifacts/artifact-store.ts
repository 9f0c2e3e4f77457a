import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { PlatformDatabase, Tx } from '../db/sql-handles.ts';
import { type ArtifactBackend, LocalDiskBackend, pathUnder } from './artifact-backends.ts';

/** How long a download link stays valid; a new one comes with every read of the job. */
export const linkLifetimeSeconds = 15 * 60;
/** How long a file is kept after it was written. */
export const artifactLifetimeSeconds = 7 * 24 * 3600;

export interface ArtifactRow {
  id: string;
  tenant_id: string;
  file_name: string;
  content_type: string;
  storage_key: string;
  size_bytes: string;
  expires_at: Date;
}

/** A file being written: where to write it, and the key recorded once it is complete. */
export interface NewArtifactFile {
  id: string;
  storageKey: string;
  absolutePath: string;
}

/**
 * Files jobs produce (export files, import error reports), written under the data directory
 * (`<dataDir>/artifacts/<workspace>/<uuid>`) and kept there, or in an S3-compatible store
 * (`ITOPS_ARTIFACTS_S3_*`, see artifact-backends.ts). A file is written first, then recorded in the job's
 * transaction; the row carries its expiry, and the sweep removes both together. Downloads go
 * through signed links (HMAC of id, workspace and expiry with a key derived from the JWT secret),
 * so a link can be handed to a browser or curl without a token and stops working on its own.
 */
export class ArtifactStore {
  private readonly key: Buffer;
  readonly backend: ArtifactBackend;

  constructor(
    readonly root: string,
    jwtSecret: string,
    private readonly platform: Pick<PlatformDatabase, 'query'>,
    /** Where complete files go (default: they stay where they were written, under `root`). */
    backend?: ArtifactBackend,
  ) {
    // A key of its own, derived: a leaked link signature says nothing about session tokens.
    this.key = createHmac('sha256', jwtSecret).update('itops artifact links').digest();
    this.backend = backend ?? new LocalDiskBackend((storageKey) => this.pathOf(storageKey));
  }

  /** A fresh path for a file of the workspace (its folder exists). */
  async newFile(tenantId: string): Promise<NewArtifactFile> {
    const id = randomUUID();
    const storageKey = `${tenantId}/${id}`;
    const absolutePath = this.pathOf(storageKey);
    await mkdir(path.dirname(absolutePath), { recursive: true });
    return { id, storageKey, absolutePath };
  }

  /**
   * Records a complete file in the caller's transaction (the workspace's), once the backend keeps
   * it. A transaction that then rolls back leaves an object no row names (never a row without its file).
   */
  async record(tx: Tx, file: NewArtifactFile, meta: { fileName: string; contentType: string }): Promise<void> {
    const { size } = await stat(file.absolutePath);
    await this.backend.keep(file.storageKey, file.absolutePath);
    await tx.query(
      `INSERT INTO core_artifact (id, tenant_id, file_name, content_type, storage_key, size_bytes, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, now() + make_interval(secs => ?))`,
      [file.id, tx.tenantId, meta.fileName, meta.contentType, file.storageKey, size, artifactLifetimeSeconds],
    );
  }

  /** The path and query of a download link valid until `expiresAt` (never past the file's own expiry). */
  signedPath(artifact: { id: string; tenantId: string; expiresAt: Date }, now = Date.now()): string {
    const expires = Math.floor(Math.min(now + linkLifetimeSeconds * 1000, artifact.expiresAt.getTime()) / 1000);
    return `/api/v1/artifacts/${artifact.id}?expires=${expires}&signature=${this.sign(artifact.id, artifact.tenantId, expires)}`;
  }

  /**
   * The artifact a link names, when its signature holds and neither the link nor the file expired.
   * Looked up across workspaces (the link is the credential), then checked against the row's workspace.
   */
  async openSigned(id: string, expires: number, signature: string): Promise<{ row: ArtifactRow; stream: Readable } | 'expired' | 'invalid' | 'missing'> {
    const [row] = await this.platform.query<ArtifactRow>('SELECT * FROM core_artifact WHERE id = ?', [id]);
    if (!row) return 'missing';
    const expected = Buffer.from(this.sign(row.id, row.tenant_id, expires));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'invalid';
    if (expires * 1000 < Date.now() || new Date(row.expires_at).getTime() < Date.now()) return 'expired';
    const stream = await this.backend.open(row.storage_key);
    return stream ? { row, stream } : 'missing';
  }

  /** Removes expired artifacts (rows and files) of every workspace; returns how many. */
  async sweep(): Promise<number> {
    const expired = await this.platform.query<{ storage_key: string }>('DELETE FROM core_artifact WHERE expires_at < now() RETURNING storage_key');
    for (const row of expired) await this.backend.remove(row.storage_key);
    return expired.length;
  }

  /** Removes a file that was never recorded (a job that failed half-way). */
  async discard(file: NewArtifactFile): Promise<void> {
    await rm(file.absolutePath, { force: true });
  }

  private pathOf(storageKey: string): string {
    return pathUnder(this.root, storageKey);
  }

  private sign(id: string, tenantId: string, expires: number): string {
    return createHmac('sha256', this.key).update(`${id}\n${tenantId}\n${expires}`).digest('base64url');
  }
}
