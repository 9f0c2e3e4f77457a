import type { DatabaseService, SqlHandle } from '../db/sql-handles.ts';
import { AppError } from '../errors/app-error.ts';
import type { EventsService } from '../plugin-api/index.ts';
import { timezoneProblem } from './core-settings.ts';
import type { SettingsSchemas, SettingsScope, SettingsValues } from './settings-schema.ts';

export const settingsChangedTopic = 'settings.changed';

export const settingsEventTopics = [
  {
    topic: settingsChangedTopic,
    description: 'The platform’s or a workspace’s settings changed: every node drops what it cached and reads them again.',
    payloadSchema: {
      type: 'object',
      required: ['scope', 'version', 'sections', 'actor'],
      additionalProperties: false,
      properties: {
        scope: { type: 'string', enum: ['platform', 'workspace'] },
        version: { type: 'integer' },
        sections: { type: 'array', items: { type: 'string' } },
        actor: { type: 'string' },
      },
    },
  },
];

/** The workspace, or null for the platform. */
export type SettingsOwner = string | null;

interface Stored {
  values: SettingsValues;
  version: number;
  updatedAt: string | null;
}

export interface SettingsView {
  settings: SettingsValues;
  version: number;
  updatedAt: string | null;
}

type Row = { settings: SettingsValues; version: number; updated_at: Date };

const tableOf = (owner: SettingsOwner) => (owner === null ? 'platform_setting' : 'workspace_setting');
const scopeOf = (owner: SettingsOwner): SettingsScope => (owner === null ? 'platform' : 'workspace');
const cacheKey = (owner: SettingsOwner) => owner ?? '';
const stored = (row: Row | undefined): Stored =>
  row ? { values: row.settings ?? {}, version: row.version, updatedAt: new Date(row.updated_at).toISOString() } : { values: {}, version: 0, updatedAt: null };

/**
 * The platform's and each workspace's settings: only values someone set are stored (a default
 * that changes in a later version applies to everyone who kept it). Each node caches what it read;
 * a change is published in its transaction and every node (this one at commit) drops its copy.
 */
export class SettingsStore {
  private readonly cache = new Map<string, Promise<Stored>>();
  /** Bumped by every drop, so a read that started before a change never caches what it saw. */
  private generation = 0;

  constructor(
    private readonly database: DatabaseService,
    private readonly schemas: Record<SettingsScope, SettingsSchemas>,
    private readonly events: Pick<EventsService, 'publish'>,
  ) {}

  private handle(owner: SettingsOwner): SqlHandle {
    return owner === null ? this.database.platform : this.database.forTenant(owner);
  }

  private load(owner: SettingsOwner): Promise<Stored> {
    const key = cacheKey(owner);
    const cached = this.cache.get(key);
    if (cached) return cached;
    const generation = this.generation;
    const loading = this.handle(owner)
      .query<Row>(`SELECT settings, version, updated_at FROM ${tableOf(owner)}`)
      .then(([row]) => stored(row));
    loading.then(
      () => {
        if (generation === this.generation) this.cache.set(key, loading);
      },
      () => undefined,
    );
    return loading;
  }

  async get(owner: SettingsOwner): Promise<SettingsView> {
    const { values, version, updatedAt } = await this.load(owner);
    return { settings: this.schemas[scopeOf(owner)].effective(values), version, updatedAt };
  }

  /** One section's values, defaults filled in (what plugins read). */
  async section(owner: SettingsOwner, section: string): Promise<Record<string, unknown>> {
    return (await this.get(owner)).settings[section] ?? {};
  }

  /**
   * Sets the values `changes` names (section by section; `null` returns a setting to its default)
   * and keeps the rest. With `expectedVersion`, refuses (409) when someone changed them since.
   */
  async put(owner: SettingsOwner, changes: Record<string, Record<string, unknown>>, actor: string, expectedVersion?: number): Promise<SettingsView> {
    const scope = scopeOf(owner);
    const schemas = this.schemas[scope];
    const result = await this.handle(owner).transaction(async (tx) => {
      const table = tableOf(owner);
      const insert =
        owner === null
          ? 'INSERT INTO platform_setting DEFAULT VALUES ON CONFLICT DO NOTHING'
          : 'INSERT INTO workspace_setting (tenant_id) VALUES (?) ON CONFLICT DO NOTHING';
      await tx.query(insert, owner === null ? [] : [owner]);
      const [row] = await tx.query<Row>(`SELECT settings, version, updated_at FROM ${table} FOR UPDATE`);
      const before = stored(row);
      if (expectedVersion !== undefined && expectedVersion !== before.version) {
        throw new AppError('conflict', `The settings are at version ${before.version}, not ${expectedVersion}: read them again and reapply the change`);
      }
      const values = structuredClone(before.values);
      for (const [section, entries] of Object.entries(changes)) {
        const merged = { ...(values[section] ?? {}) };
        for (const [name, value] of Object.entries(entries ?? {})) {
          if (value === null) delete merged[name];
          else merged[name] = value;
        }
        values[section] = merged;
      }
      // Only the loaded sections are validated; a section kept for an unloaded plugin stays as it is.
      const loaded = new Set(schemas.current().sections.map((s) => s.owner));
      const checked = Object.fromEntries(Object.entries(values).filter(([section]) => loaded.has(section) || section in changes));
      schemas.check(checked, (effective) => {
        const zone = effective.core?.timezone;
        const problem = timezoneProblem(zone);
        return problem ? [{ path: '/body/settings/core/timezone', message: problem }] : [];
      });
      for (const section of Object.keys(values)) if (Object.keys(values[section]).length === 0) delete values[section];
      const [updated] = await tx.query<Row>(
        `UPDATE ${table} SET settings = ?::jsonb, version = version + 1, updated_by = ?, updated_at = now() RETURNING settings, version, updated_at`,
        [JSON.stringify(values), actor],
      );
      await this.events.publish(tx, {
        topic: settingsChangedTopic,
        tenantId: owner,
        payload: { scope, version: updated.version, sections: Object.keys(changes).sort(), actor },
      });
      tx.afterCommit(() => this.forget(owner));
      return stored(updated);
    });
    return { settings: schemas.effective(result.values), version: result.version, updatedAt: result.updatedAt };
  }

  /** Drops this node's copy (a change committed here or, heard through the event bus, on another node). */
  forget(owner: SettingsOwner): void {
    this.generation++;
    this.cache.delete(cacheKey(owner));
  }
}
