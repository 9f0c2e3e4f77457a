import { type DatabaseService, defineList } from '../../../core/plugin-api/index.ts';
import { versionedResource } from '../versioned-resource.ts';

export interface RunbookRow {
  id: string;
  title: string;
  body: string;
  tags: string[];
  version: number;
  created_at: Date;
  updated_at: Date;
}

export const runbookView = (row: RunbookRow) => ({
  id: row.id,
  title: row.title,
  body: row.body,
  tags: row.tags,
  version: row.version,
  createdAt: new Date(row.created_at).toISOString(),
  updatedAt: new Date(row.updated_at).toISOString(),
});

export function runbooks(database: DatabaseService) {
  return versionedResource<RunbookRow, ReturnType<typeof runbookView>>(database, {
    table: 'runbook',
    noun: 'Runbook',
    fields: {
      title: { column: 'title', default: undefined },
      body: { column: 'body', default: '' },
      tags: { column: 'tags', default: [] },
    },
    list: defineList({
      from: 'runbook',
      sortable: { title: 'lower(title)', createdAt: 'created_at', updatedAt: 'updated_at' },
      defaultSort: 'title',
      search: ['title', 'body'],
      view: runbookView,
    }),
    view: runbookView,
  });
}
