import t from 'tap';
import { likePattern, listEnvelope, pageTotal, parseListQuery } from './list-query.ts';

const options = { sortable: { name: 'lower(name)', createdAt: 'created_at' }, defaultSort: 'name' as const };

t.test('list parameters: defaults, bounds, sort whitelist', async (t) => {
  t.match(parseListQuery({}, options), { limit: 50, offset: 0, sortBy: 'name', sortOrder: 'asc', orderBy: 'lower(name) ASC' });
  t.match(parseListQuery({ limit: 1000, offset: 20, sortBy: 'createdAt', sortOrder: 'desc', q: '  disk ' }, options), {
    limit: 1000,
    offset: 20,
    orderBy: 'created_at DESC',
    q: 'disk',
  });
  t.throws(() => parseListQuery({ limit: 0, offset: -1, sortBy: 'password', sortOrder: 'up' }, options), { code: 'validation_failed' });
});

t.test('the envelope and a page total read from the rows, counted only past the end', async (t) => {
  const list = parseListQuery({ offset: 40, q: 'x' }, options);
  let counted = 0;
  const count = async () => {
    counted += 1;
    return 42;
  };
  t.equal(await pageTotal([{ total: '42' }, { total: '42' }], list, count), 42);
  t.equal(counted, 0, 'a page with rows carries the total');
  t.equal(await pageTotal([], list, count), 42, 'a page past the end asks');
  t.equal(counted, 1);
  t.equal(await pageTotal([], parseListQuery({}, options), count), 0, 'an empty first page is an empty list');
  t.equal(counted, 1);
  t.same(listEnvelope(['a'], 42, list, { status: 'up' }), {
    data: ['a'],
    page: { limit: 50, offset: 40, returned: 1, total: 42 },
    sort: { by: 'name', order: 'asc' },
    filters: { q: 'x', status: 'up' },
  });
  t.equal(likePattern('50%_off\\'), '%50\\%\\_off\\\\%');
});
