import t from 'tap';
import { Database } from '../db/database.ts';
import { createLogger } from '../logging/logger.ts';
import { cloneTestDatabase } from '../testing/test-database.ts';
import { defineList } from './list-page.ts';

const servers = defineList({
  from: 'list_page_server',
  sortable: { name: 'lower(name)', seenAt: 'seen_at' },
  defaultSort: 'name',
  equals: { status: 'status' },
  search: ['name', 'note'],
  nullsLast: true,
  view: (row: { id: number; name: string; status: string; seen_at: Date | null }) => ({ id: row.id, name: row.name, status: row.status }),
});

t.test('one declaration pages, sorts, filters and searches a list', async (t) => {
  const clone = await cloneTestDatabase();
  const database = new Database(clone.url, 2, createLogger('silent'));
  t.teardown(async () => {
    await database.close();
    await clone.drop();
  });
  const db = database.platform;
  await db.query('CREATE TABLE list_page_server (id int PRIMARY KEY, name text, status text, note text, seen_at timestamptz)');
  await db.query(
    `INSERT INTO list_page_server VALUES
      (1, 'beta', 'up', 'rack 1', now()), (2, 'Alpha', 'down', 'rack 2', NULL), (3, 'gamma', 'up', '50% full', now() - interval '1 hour')`,
  );

  const first = await servers.page(db, { limit: 2 });
  t.same(
    first.data.map((s) => s.name),
    ['Alpha', 'beta'],
    'sorted by the default, case-insensitively',
  );
  t.same(first.page, { limit: 2, offset: 0, returned: 2, total: 3 });

  const bySeen = await servers.page(db, { sortBy: 'seenAt' });
  t.same(
    bySeen.data.map((s) => s.id),
    [3, 1, 2],
    'nulls last when ascending',
  );
  t.same(
    (await servers.page(db, { sortBy: 'seenAt', sortOrder: 'desc' })).data.map((s) => s.id),
    [2, 1, 3],
    'and first when descending',
  );

  const up = await servers.page(db, { status: 'up', q: '50%' });
  t.same(
    up.data.map((s) => s.id),
    [3],
    'a filter and a literal % in q',
  );
  t.same(up.filters, { q: '50%', status: 'up' });

  const nested = await servers.page(db, {}, { where: 'id <> ?', params: [1] });
  t.same(
    nested.data.map((s) => s.id),
    [2, 3],
    "a caller's fixed condition",
  );

  const past = await servers.page(db, { offset: 10 });
  t.same([past.data, past.page.total], [[], 3], 'a page past the end still counts the total');

  await t.rejects(servers.page(db, { sortBy: 'note' }), { code: 'validation_failed' }, 'an unlisted sort field is refused');
});
