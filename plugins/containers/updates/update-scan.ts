import type { DatabaseService, EventsService, PluginLogger } from '../../../core/plugin-api/index.ts';
import type { RuntimeAdapter } from '../runtime/runtime-adapter.ts';
import { type ImageRef, newestVersion, parseImage, parseVersion, type RegistryClient } from './registry-client.ts';

export interface ScanDeps {
  database: DatabaseService;
  events: EventsService;
  logger: PluginLogger;
  registry: RegistryClient;
  clock: () => Date;
  /** The watched runtime, when the workspace has one: it tells which registry digest a container runs. */
  runtimeFor: (tenantId: string) => RuntimeAdapter | undefined;
}

interface ScannedContainer {
  id: string;
  name: string;
  image: string;
  image_digest: string | null;
  source: string;
}

/** `*` matches any run of characters; the pattern is held against the image and the container's name. */
export function excludedBy(patterns: { id: string; pattern: string }[], container: { name: string; image: string }) {
  return patterns.find(({ pattern }) => {
    const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`);
    return re.test(container.image) || re.test(container.name);
  });
}

/** What a scan would do with each container (the dry run, and the scan's own plan). */
export async function scanPlan(database: DatabaseService, tenantId: string) {
  const db = database.forTenant(tenantId);
  const containers = await db.query<ScannedContainer>(
    "SELECT id, name, image, image_digest, source FROM container WHERE state <> 'removed' ORDER BY lower(name), id",
  );
  const exclusions = await db.query<{ id: string; pattern: string }>('SELECT id, pattern FROM update_exclusion ORDER BY created_at');
  const pins = new Set((await db.query<{ container_id: string }>('SELECT container_id FROM update_pin')).map((p) => p.container_id));
  return containers.map((c) => {
    const excluded = excludedBy(exclusions, c);
    const ref = c.image ? parseImage(c.image) : null;
    const action = excluded ? 'skip' : !ref ? 'skip' : 'check';
    const reason = excluded ? `excluded by ${excluded.pattern}` : !ref ? 'no image reference' : pins.has(c.id) ? 'pinned: checked, not offered' : null;
    return { container: c, ref, excluded: Boolean(excluded), pinned: pins.has(c.id), action, reason };
  });
}

interface Outcome {
  container_id: string;
  image: string;
  registry: string | null;
  repository: string | null;
  current_tag: string | null;
  current_digest: string | null;
  latest_tag: string | null;
  latest_digest: string | null;
  update_type: string;
  status: string;
  error: string | null;
}

/** Checks one image against its registry: a newer version tag, or the same tag moved to another digest. */
async function check(deps: ScanDeps, ref: ImageRef, running: string[]) {
  const tagDigest = await deps.registry.digest(ref);
  const newest = parseVersion(ref.tag) ? newestVersion(ref.tag, await deps.registry.tags(ref)) : null;
  if (newest) return { latestTag: newest.tag, latestDigest: await deps.registry.digest(ref, newest.tag), type: newest.type };
  const moved = running.length > 0 && !running.some((d) => d.endsWith(tagDigest));
  return { latestTag: ref.tag, latestDigest: tagDigest, type: moved ? 'digest' : 'none' };
}

/**
 * One scan of a workspace (the `update_scan` job): every container not excluded is checked against
 * its registry (each image once), the results replace the previous ones in one statement, and
 * `update.detected` is published for each update that is new since the last scan.
 */
export async function runScan(deps: ScanDeps, tenantId: string, scanId: string): Promise<void> {
  const db = deps.database.forTenant(tenantId);
  const started = await db.transaction(async (tx) => {
    const [scan] = await tx.query<{ id: string }>("UPDATE update_scan SET status = 'running', started_at = ? WHERE id = ? AND status = 'queued' RETURNING id", [
      deps.clock().toISOString(),
      scanId,
    ]);
    if (scan) await deps.events.publish(tx, { topic: 'update.scan_started', tenantId, payload: { scanId, at: deps.clock().toISOString() } });
    return Boolean(scan);
  });
  if (!started) return;
  try {
    const plan = await scanPlan(deps.database, tenantId);
    const runtime = deps.runtimeFor(tenantId);
    const byImage = new Map<string, ReturnType<typeof check>>();
    const outcomes: Outcome[] = [];
    for (const p of plan) {
      const c = p.container;
      const base = {
        container_id: c.id,
        image: c.image,
        registry: p.ref?.registry ?? null,
        repository: p.ref?.repository ?? null,
        current_tag: p.ref?.tag ?? null,
      };
      if (p.action === 'skip' || !p.ref) {
        outcomes.push({ ...base, current_digest: null, latest_tag: null, latest_digest: null, update_type: 'none', status: 'excluded', error: null });
        continue;
      }
      let running: string[] = [];
      try {
        if (c.source === runtime?.kind && runtime.imageRepoDigests && c.image_digest) running = await runtime.imageRepoDigests(c.image_digest);
        else if (c.image_digest && c.source === 'kubernetes') running = [c.image_digest];
        const key = `${c.image}|${running.join(',')}`;
        let result = byImage.get(key);
        if (!result) {
          result = check(deps, p.ref, running);
          byImage.set(key, result);
        }
        const r = await result;
        const current = running[0]?.split('@')[1] ?? c.image_digest;
        outcomes.push({
          ...base,
          current_digest: current,
          latest_tag: r.latestTag,
          latest_digest: r.latestDigest,
          update_type: r.type,
          status: p.pinned ? 'pinned' : r.type === 'none' ? 'up_to_date' : 'available',
          error: null,
        });
      } catch (error) {
        outcomes.push({
          ...base,
          current_digest: c.image_digest,
          latest_tag: null,
          latest_digest: null,
          update_type: 'none',
          status: 'error',
          error: (error as Error).message.slice(0, 500),
        });
      }
    }
    await db.transaction(async (tx) => {
      const now = deps.clock().toISOString();
      const detected = await tx.query<{ container_id: string; name: string; image: string; latest_tag: string; update_type: string }>(
        `WITH input AS (SELECT * FROM jsonb_to_recordset(?::jsonb) AS x(container_id uuid, image text, registry text, repository text, current_tag text,
           current_digest text, latest_tag text, latest_digest text, update_type text, status text, error text)),
         prior AS (SELECT container_id, status, latest_digest FROM image_update),
         written AS (
           INSERT INTO image_update AS u (tenant_id, container_id, image, registry, repository, current_tag, current_digest, latest_tag, latest_digest,
             update_type, status, error, checked_at, detected_at)
           SELECT ?, i.container_id, i.image, i.registry, i.repository, i.current_tag, i.current_digest, i.latest_tag, i.latest_digest, i.update_type,
             i.status, i.error, ?, CASE WHEN i.status = 'available' THEN ?::timestamptz END FROM input i
           ON CONFLICT (container_id) DO UPDATE SET image = excluded.image, registry = excluded.registry, repository = excluded.repository,
             current_tag = excluded.current_tag, current_digest = excluded.current_digest, latest_tag = excluded.latest_tag,
             latest_digest = excluded.latest_digest, update_type = excluded.update_type, status = excluded.status, error = excluded.error,
             checked_at = excluded.checked_at,
             detected_at = CASE WHEN excluded.status <> 'available' THEN NULL
               WHEN u.status = 'available' AND u.latest_digest IS NOT DISTINCT FROM excluded.latest_digest THEN u.detected_at
               ELSE excluded.detected_at END
           RETURNING u.container_id, u.status, u.latest_digest, u.latest_tag, u.update_type, u.image)
         SELECT w.container_id, c.name, w.image, w.latest_tag, w.update_type FROM written w JOIN container c ON c.id = w.container_id
           LEFT JOIN prior p ON p.container_id = w.container_id
         WHERE w.status = 'available' AND (p.status IS DISTINCT FROM 'available' OR p.latest_digest IS DISTINCT FROM w.latest_digest)`,
        [JSON.stringify(outcomes), tenantId, now, now],
      );
      await tx.query("DELETE FROM image_update u WHERE NOT EXISTS (SELECT 1 FROM container c WHERE c.id = u.container_id AND c.state <> 'removed')");
      await deps.events.publishMany(
        tx,
        detected.map((d) => ({
          topic: 'update.detected',
          tenantId,
          payload: { containerId: d.container_id, name: d.name, image: d.image, latestTag: d.latest_tag, updateType: d.update_type, scanId },
        })),
      );
      const found = outcomes.filter((o) => o.status === 'available').length;
      await tx.query("UPDATE update_scan SET status = 'completed', finished_at = ?, containers_checked = ?, updates_found = ? WHERE id = ?", [
        now,
        outcomes.filter((o) => o.status !== 'excluded').length,
        found,
        scanId,
      ]);
      await deps.events.publish(tx, {
        topic: 'update.scan_completed',
        tenantId,
        payload: { scanId, containersChecked: outcomes.filter((o) => o.status !== 'excluded').length, updatesFound: found, at: now },
      });
    });
  } catch (error) {
    deps.logger.error({ err: error, scanId }, 'image update scan failed');
    await db.query("UPDATE update_scan SET status = 'failed', finished_at = ?, error = ? WHERE id = ?", [
      deps.clock().toISOString(),
      (error as Error).message.slice(0, 500),
      scanId,
    ]);
  }
}
