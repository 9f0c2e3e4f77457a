import { type DatabaseService, defineList, type EventsService } from '../../../core/plugin-api/index.ts';
import { versionedResource } from '../versioned-resource.ts';

export interface AssetRow {
  id: string;
  name: string;
  kind: string;
  state: 'planned' | 'active' | 'maintenance' | 'retired';
  client_id: string | null;
  owner: string | null;
  serial: string | null;
  location: string | null;
  attributes: Record<string, string>;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export const assetView = (row: AssetRow) => ({
  id: row.id,
  name: row.name,
  kind: row.kind,
  state: row.state,
  clientId: row.client_id,
  owner: row.owner,
  serial: row.serial,
  location: row.location,
  attributes: row.attributes,
  version: row.version,
  createdAt: new Date(row.created_at).toISOString(),
  updatedAt: new Date(row.updated_at).toISOString(),
});

/** Assets in the resource pattern; a state change publishes `asset.state_changed` in its transaction. */
export function assets(database: DatabaseService, events: EventsService) {
  return versionedResource<AssetRow, ReturnType<typeof assetView>>(database, {
    table: 'asset',
    noun: 'Asset',
    fields: {
      name: { column: 'name', default: undefined },
      kind: { column: 'kind', default: 'server' },
      state: { column: 'state', default: 'active' },
      clientId: { column: 'client_id', default: null },
      owner: { column: 'owner', default: null },
      serial: { column: 'serial', default: null },
      location: { column: 'location', default: null },
      attributes: { column: 'attributes', json: true, default: {} },
    },
    list: defineList({
      from: 'asset',
      sortable: { name: 'lower(name)', createdAt: 'created_at', updatedAt: 'updated_at', state: 'state' },
      defaultSort: 'name',
      equals: { state: 'state', kind: 'kind', clientId: 'client_id' },
      search: ['name', 'serial', 'location', 'owner'],
      view: assetView,
    }),
    view: assetView,
    async written(tx, { before, after }) {
      if (!before || !after || before.state === after.state) return;
      await events.publish(tx, {
        topic: 'asset.state_changed',
        tenantId: tx.tenantId,
        payload: { assetId: after.id, name: after.name, from: before.state, to: after.state },
      });
    },
  });
}
