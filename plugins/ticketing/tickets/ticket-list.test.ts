import t from 'tap';
import { startTicketing, testClock } from '../ticketing.testkit.ts';
import { wordPrefixes } from './ticket-list.ts';

/**
 * The list's ways to a page and its total at volume: past 10,000 matches the total is the planner's
 * estimate (and says so), a small filtered set is counted exactly, a rare `q` is sorted from its
 * trigram hits, a common one walks the sort index; each gives the same rows a full sort would.
 */
t.test('pages and totals over 12,000 tickets', async (t) => {
  const clock = testClock('2026-12-01T00:00:00Z');
  const w = await startTicketing(t, { clock: clock.now });
  const db = w.kernel.database.platform;
  await db.query(
    `INSERT INTO ticket (id, tenant_id, title, priority, status, assignee, created_at, updated_at)
     SELECT gen_random_uuid(), 'acme', 'Ticket ' || i || CASE WHEN i % 300 = 150 THEN ' toner' ELSE '' END || CASE WHEN i % 4 = 0 THEN ' printer' ELSE '' END || CASE WHEN i = 777 THEN ' zebra' ELSE '' END,
            (ARRAY['low', 'medium', 'high', 'urgent'])[1 + i % 4], (ARRAY['new', 'open', 'pending'])[1 + i % 3], 'agent' || (i % 40),
            timestamptz '2026-01-01' + i * interval '1 minute', timestamptz '2026-01-01' + i * interval '1 minute'
       FROM generate_series(1, 12000) AS i`,
  );
  await db.query('ANALYZE ticket');
  await w.write('POST', '/api/v1/tickets', w.globexAdmin, { title: 'Globex printer zebra' });

  const all = (await w.read('/api/v1/tickets?limit=3', w.acmeViewer)).json;
  t.same(
    all.data.map((x: any) => x.title),
    ['Ticket 1', 'Ticket 2', 'Ticket 3'],
  );
  t.equal(all.page.totalIsEstimate, true, 'past 10,000 matches the total is an estimate');
  t.ok(all.page.total > 10_000 && all.page.total < 14_000, `a close one (${all.page.total})`);

  const agent = (await w.read('/api/v1/tickets?assignee=agent7&limit=10&sortBy=priority&sortOrder=desc', w.acmeViewer)).json;
  t.same(agent.page, { limit: 10, offset: 0, returned: 10, total: 300, totalIsEstimate: false }, 'a small set is counted exactly');
  // Its estimate is kept now: the next pages count in their own statement, and come out the same.
  const again = (await w.read('/api/v1/tickets?assignee=agent7&limit=10&sortBy=priority&sortOrder=desc', w.acmeViewer)).json;
  t.same([again.page, again.data.map((x: any) => x.id)], [agent.page, agent.data.map((x: any) => x.id)], 'the same page again');
  const middle = (await w.read('/api/v1/tickets?assignee=agent7&limit=10&offset=100', w.acmeViewer)).json;
  t.same(middle.page, { limit: 10, offset: 100, returned: 10, total: 300, totalIsEstimate: false }, 'a middle page, counted exactly');
  t.ok(
    agent.data.every((x: any) => x.priority === 'urgent'),
    "agent7's tickets are all urgent (i % 40 = 7 means i % 4 = 3)",
  );

  const byPriority = (await w.read('/api/v1/tickets?status=new&sortBy=priority&sortOrder=desc&limit=1000&offset=2000', w.acmeViewer)).json;
  // 4,000 new tickets, 1,000 per priority: descending ranks put low, medium, high, urgent; offset 2,000 starts the high ones.
  t.ok(
    byPriority.data.every((x: any) => x.priority === 'high'),
    'priority order through the rank index',
  );

  const firstThousand = (await w.read('/api/v1/tickets?status=open&sortBy=title&sortOrder=desc&limit=1000', w.acmeViewer)).json;
  const deep = (await w.read('/api/v1/tickets?status=open&sortBy=title&sortOrder=desc&limit=5&offset=995', w.acmeViewer)).json;
  t.same(
    deep.data.map((x: any) => x.id),
    firstThousand.data.slice(995).map((x: any) => x.id),
    'a page past the first (ids from the index, then their rows) holds the rows of the same place in one long page',
  );

  const last = (await w.read('/api/v1/tickets?assignee=agent7&limit=50&offset=280', w.acmeViewer)).json;
  t.same(last.page, { limit: 50, offset: 280, returned: 20, total: 300, totalIsEstimate: false }, 'the last page knows its total');

  const rare = (await w.read('/api/v1/tickets?q=ZEBRA', w.acmeViewer)).json;
  t.same(
    rare.data.map((x: any) => x.title),
    ['Ticket 777 zebra'],
    "a rare term, of this workspace's tickets only",
  );
  t.same(rare.page, { limit: 50, offset: 0, returned: 1, total: 1, totalIsEstimate: false });
  const pastRare = (await w.read('/api/v1/tickets?q=ZEBRA&offset=10', w.acmeViewer)).json;
  t.same(pastRare.page, { limit: 50, offset: 10, returned: 0, total: 1, totalIsEstimate: false }, 'past the last page the total is still counted');
  const none = (await w.read('/api/v1/tickets?q=nowhere-at-all', w.acmeViewer)).json;
  t.same(none.page, { limit: 50, offset: 0, returned: 0, total: 0, totalIsEstimate: false }, 'a term in no ticket');
  t.same(
    await db.query("SELECT ticket_search_ids('%zebra%', NULL, 10) AS id"),
    [],
    'the search probe, which reads past row-level security, finds nothing for a connection that serves no workspace',
  );
  const globexZebra = await w.kernel.database.forTenant('globex').query<{ id: string }>("SELECT ticket_search_ids('%zebra%', NULL, 10) AS id");
  t.equal(globexZebra.length, 1, "and only the serving workspace's own tickets for one that does");

  const common = (await w.read('/api/v1/tickets?q=printer&sortOrder=desc&limit=3', w.acmeViewer)).json;
  t.same(
    common.data.map((x: any) => x.title),
    ['Ticket 12000 printer', 'Ticket 11996 printer', 'Ticket 11992 printer'],
    'a common term walks the sort order',
  );
  t.equal(common.page.totalIsEstimate, true);
  t.ok(common.page.total > 2000, 'at least the hits the trigram probe saw');

  const fewInWindow = (await w.read('/api/v1/tickets?q=toner&limit=50', w.acmeViewer)).json;
  t.same(
    fewInWindow.data.map((x: any) => x.title).slice(0, 3),
    ['Ticket 150 toner', 'Ticket 450 toner', 'Ticket 750 toner'],
    'a term too rare to fill its page from the first 2,000 tickets is found through its trigrams',
  );
  t.same(fewInWindow.page, { limit: 50, offset: 0, returned: 40, total: 40, totalIsEstimate: false });

  const narrowed = (await w.read('/api/v1/tickets?q=printer&status=open&assignee=agent4&limit=100', w.acmeViewer)).json;
  // i % 4 = 0, i % 3 = 1 and i % 40 = 4: i ≡ 4 (mod 120), 100 of them.
  t.same(narrowed.page, { limit: 100, offset: 0, returned: 100, total: 100, totalIsEstimate: false });
  t.ok(narrowed.data.every((x: any) => x.status === 'open' && x.assignee === 'agent4' && x.title.endsWith('printer')));

  // The estimate is reused for 30 s (the next page, a refresh), then asked again.
  const before = all.page.total;
  await db.query(
    `INSERT INTO ticket (id, tenant_id, title, created_at, updated_at)
     SELECT gen_random_uuid(), 'acme', 'More ' || i, timestamptz '2026-02-01' + i * interval '1 minute', timestamptz '2026-02-01' + i * interval '1 minute'
       FROM generate_series(1, 12000) AS i`,
  );
  await db.query('ANALYZE ticket');
  const nextPage = (await w.read('/api/v1/tickets?limit=3&offset=3', w.acmeViewer)).json;
  t.same([nextPage.page.total, nextPage.page.totalIsEstimate], [before, true], 'within 30 s the next page shows the same estimate');
  clock.set('2026-12-01T00:00:31Z');
  const later = (await w.read('/api/v1/tickets?limit=3&offset=3', w.acmeViewer)).json;
  t.ok(later.page.total > 22_000 && later.page.total < 26_000, `after 30 s a new one (${later.page.total})`);
});

/**
 * `q` through the words index (migration 0004) or the trigram one: whole words, fragments of
 * words, words cut at either end, case, LIKE's own characters, a word longer than the index keeps
 * and a text longer than it indexes by words all find exactly the tickets a substring scan finds.
 */
t.test('q finds what a substring scan finds, by words or by fragments', async (t) => {
  const w = await startTicketing(t);
  const db = w.kernel.database.platform;
  await db.query(
    `INSERT INTO ticket (id, tenant_id, title, description, requester, created_at, updated_at)
     SELECT gen_random_uuid(), 'acme', 'Ticket ' || i,
            CASE i % 10 WHEN 1 THEN 'Reported by user42@example.test' WHEN 2 THEN 'from xuser42@example.org'
              WHEN 3 THEN 'user420@examples.net' WHEN 4 THEN 'mail a_b here' WHEN 5 THEN 'mail axb here'
              WHEN 6 THEN 'printer-toner low' ELSE 'nothing to see' END
            || CASE WHEN i = 777 THEN ' ' || repeat('q', 150) || 'tail' WHEN i = 778 THEN repeat(' filler', 20000) || ' needle_in_long' ELSE '' END,
            'user' || (i % 60) || '@example.test',
            timestamptz '2026-01-01' + i * interval '1 minute', timestamptz '2026-01-01' + i * interval '1 minute'
       FROM generate_series(1, 3000) AS i`,
  );
  await db.query('ANALYZE ticket');
  const acme = w.kernel.database.forTenant('acme');
  const queries = [
    'user42@example',
    'USER42@Example.TEST',
    '42@example.test',
    'ser42@exa',
    '@example.',
    'user420@',
    'a_b',
    'a%b',
    'axb here',
    ' here',
    'printer-toner',
    'toner low',
    'ket 1',
    '777 ',
    `${'q'.repeat(120)}tail user`,
    `qqtail user17@`,
    ` ${'q'.repeat(100)}`,
    'needle_in_long',
    'filler needle',
    'zzz@nowhere',
  ];
  for (const q of queries) {
    const expected = await acme.query<{ id: string }>('SELECT id FROM ticket WHERE strpos(search_text, lower(?)) > 0 ORDER BY created_at, id', [q]);
    const page = (await w.read(`/api/v1/tickets?q=${encodeURIComponent(q)}&limit=1000`, w.acmeViewer)).json;
    t.same(
      page.data.map((x: any) => x.id),
      expected.map((x) => x.id).slice(0, 1000),
      `q=${q.slice(0, 40)}: the tickets a substring scan finds (${expected.length})`,
    );
    // Past 2,000 matches a common term's total may be an estimate (the first test's business).
    if (expected.length <= 2000) t.same([page.page.total, page.page.totalIsEstimate], [expected.length, false], `q=${q.slice(0, 40)}: exact total`);
  }

  // The probe itself: a word's tickets, in the serving workspace only.
  const probe = "SELECT ticket_word_hits('~24resu', '%user42@example%', NULL, 2001) AS ids";
  const [{ ids }] = await acme.query<{ ids: string[] }>(probe);
  t.equal(ids.length, 600, 'user42 ends a word of 600 tickets (user42 and xuser42), all followed by @example');
  t.same(await db.query(probe), [{ ids: [] }], 'nothing for a connection that serves no workspace');
  t.same(await acme.query("SELECT ticket_word_hits('no such word', '%%', NULL, 10) AS ids"), [{ ids: [] }], 'nothing for what is no prefix');
  // Its estimates: in order, up to the first at most the cap; a word past the cap and 0.5 % of the tickets is common.
  const estimates = await acme.query<{ word: string; estimate: number; usable: boolean }>(
    "SELECT word, estimate::float8 AS estimate, usable FROM ticket_word_estimates(ARRAY['example', '~24resu', 'user'], 700)",
  );
  t.same(
    estimates.map((e) => [e.word, e.usable]),
    [
      ['example', false],
      ['~24resu', true],
    ],
    'example begins a word of most tickets; the estimates stop at ~24resu, within the cap',
  );
  t.ok(estimates[0].estimate > 1000 && estimates[1].estimate <= 700, `estimates ${estimates.map((e) => e.estimate)}`);
  const [long] = await acme.query<{ ids: string[] }>(
    "SELECT ticket_word_hits('~liat' || repeat('q', 96), '%' || repeat('q', 120) || 'tail%', NULL, 2001) AS ids",
  );
  t.equal(long.ids.length, 1, 'a word longer than 100 characters by the last 100 it keeps');
  const [longText] = await acme.query<{ ids: string[] }>("SELECT ticket_word_hits('needle', '%needle\\_in\\_long%', NULL, 2001) AS ids");
  t.equal(longText.ids.length, 1, 'a text longer than 100,000 characters through its one lexeme');

  t.same(wordPrefixes('printer'), [], 'a fragment of one word gives no prefix');
  t.same(wordPrefixes('user42@example'), ['~24resu', 'example'], 'a word ends before @, another starts after it');
  t.same(wordPrefixes(' a_b '), ['~a', '~b', 'a', 'b'], 'both ways for a whole word, the longest first');
});
