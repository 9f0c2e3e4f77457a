import t from 'tap';
import ticketing from '../../ticketing/plugin.ts';
import { githubWorld, pushPayload, releasePayload } from './github-payloads.testkit.ts';

const naming = (message: string) => ({
  ...pushPayload,
  commits: [{ ...pushPayload.commits[0], message }],
  head_commit: { ...pushPayload.head_commit, message },
});

t.test('with ticketing loaded, a change naming TCK-<n> is linked to that ticket of its own workspace', async (t) => {
  const w = await githubWorld(t, {}, [ticketing]);
  const open = async (actor: typeof w.acmeAdmin, title: string) => {
    const created = await w.write('POST', '/api/v1/tickets', actor, { title });
    if (created.status !== 201) throw new Error(`ticket: ${created.status} ${created.text}`);
    return created.json;
  };
  const first = await open(w.acmeAdmin, 'Checkout is slow');
  const second = await open(w.acmeAdmin, 'Checkout times out');
  const globex = await open(w.globexAdmin, "Globex's own first ticket");
  t.match(
    [first, second, globex],
    [
      { number: 1, key: 'TCK-1' },
      { number: 2, key: 'TCK-2' },
      { number: 1, key: 'TCK-1' },
    ],
    'numbered per workspace',
  );
  const found = await w.read('/api/v1/tickets?q=tck-2', w.acmeAdmin);
  t.same(
    found.json.data.map((x: { id: string }) => x.id),
    [second.id],
    'q with a key finds that ticket',
  );

  const push = await w.deliver('push', naming('Raise the gateway timeout (TCK-2, OPS-42, TCK-99)'));
  t.equal(push.status, 200, push.text);
  const [change] = (await w.read('/api/v1/change-events', w.acmeViewer)).json.data;
  t.match(change, { ticketKeys: ['TCK-2', 'OPS-42', 'TCK-99'], linkedTicketIds: [second.id] }, 'linked to the ticket that exists; other keys kept as named');

  const ticket = (await w.read(`/api/v1/tickets/${second.id}`, w.acmeAdmin)).json;
  t.match(ticket.links, [{ type: 'url', target: 'https://github.com/acme/shop/compare/6113728f27ae...0d1a26e67d8f' }], 'a link to the change');
  const timeline = (await w.read(`/api/v1/tickets/${second.id}/timeline`, w.acmeAdmin)).json.data;
  const note = timeline.find((e: { author?: string }) => e.author === 'github');
  t.match(note, { kind: 'comment', visibility: 'internal' }, JSON.stringify(timeline));
  t.match(note?.body, /^GitHub push in acme\/shop refs\/heads\/main \(pushed\) by octocat: Raise the gateway timeout/, 'the note says what changed');

  // A release naming the same ticket adds its note; its link is a second, different URL; a repeat of a URL is not added twice.
  t.equal((await w.deliver('release', { ...releasePayload, release: { ...releasePayload.release, body: 'Fixes TCK-2' } })).status, 200);
  t.equal((await w.deliver('push', naming('Follow-up for TCK-2'))).status, 200);
  const after = (await w.read(`/api/v1/tickets/${second.id}`, w.acmeAdmin)).json;
  t.equal(after.links.length, 2, 'one link per change URL');
  const notes = (await w.read(`/api/v1/tickets/${second.id}/timeline`, w.acmeAdmin)).json.data.filter((e: { author?: string }) => e.author === 'github');
  t.equal(notes.length, 3, 'a note per change');

  t.same(
    (await w.read(`/api/v1/tickets/${first.id}/timeline`, w.acmeAdmin)).json.data.filter((e: { author?: string }) => e.author === 'github'),
    [],
  );
  const other = (await w.read(`/api/v1/tickets/${globex.id}`, w.globexAdmin)).json;
  t.same(other.links, [], "another workspace's TCK-1 is never touched");
});

t.test('without ticketing, keys are recorded and nothing is linked', async (t) => {
  const w = await githubWorld(t);
  t.equal((await w.deliver('push', naming('Fix TCK-1'))).status, 200);
  t.match((await w.read('/api/v1/change-events', w.acmeViewer)).json.data, [{ ticketKeys: ['TCK-1'], linkedTicketIds: [] }]);
});
