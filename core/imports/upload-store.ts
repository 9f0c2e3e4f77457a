import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Import uploads on their way to the job that imports them: the request body is streamed to
 * `<dataDir>/uploads/<workspace>/<uuid>` (never held in memory) and removed once imported. With
 * several nodes, the data directory is shared storage (the import may run on another node).
 */
export class UploadStore {
  constructor(readonly root: string) {}

  /** Streams `body` to a new file; returns its key and size. A failed or aborted upload leaves nothing behind. */
  async save(tenantId: string, body: Readable): Promise<{ key: string; bytes: number }> {
    const key = `${tenantId}/${randomUUID()}`;
    const file = this.pathOf(key);
    await mkdir(path.dirname(file), { recursive: true });
    try {
      await pipeline(body, createWriteStream(file, { flags: 'wx' }));
    } catch (error) {
      await rm(file, { force: true });
      throw error;
    }
    return { key, bytes: (await stat(file)).size };
  }

  open(key: string): Readable {
    return createReadStream(this.pathOf(key), { highWaterMark: 256 * 1024 });
  }

  async remove(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  /**
   * Removes uploads no job names (`inUse`) that are older than `olderThanMs`: what a node that died
   * between receiving a file and recording its job left behind. Returns how many.
   */
  async sweep(inUse: ReadonlySet<string>, olderThanMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    const tenants = await readdir(this.root).catch(() => [] as string[]);
    for (const tenant of tenants) {
      for (const name of await readdir(path.join(this.root, tenant)).catch(() => [] as string[])) {
        const key = `${tenant}/${name}`;
        if (inUse.has(key)) continue;
        const info = await stat(this.pathOf(key)).catch(() => undefined);
        if (!info || now - info.mtimeMs < olderThanMs) continue;
        await this.remove(key);
        removed += 1;
      }
    }
    return removed;
  }

  private pathOf(key: string): string {
    const resolved = path.resolve(this.root, key);
    if (!resolved.startsWith(path.resolve(this.root) + path.sep)) throw new Error(`upload key ${key} leaves the store`);
    return resolved;
  }
}
