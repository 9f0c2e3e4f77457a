import { pino } from 'pino';
import t from 'tap';
import { cloneTestDatabase } from '../testing/test-database.ts';
import { Database } from './database.ts';
import { notifiesAtCommit } from './notifying-commit.ts';

const testDb = await cloneTestDatabase();
// One connection: what one transaction leaves on it, the next one sees.
const database = new Database(testDb.url, 1, pino({ level: 'silent' }));
t.teardown(async () => {
  await database.close();
  await testDb.drop();
});

await database.query('CREATE TABLE notify_probe (id int, CONSTRAINT notify_probe_once UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)');
const ids = async () => (await database.query<{ id: number }>('SELECT id FROM notify_probe ORDER BY id')).map((r) => r.id);

/** A transaction that writes and notifies, as a publish does; `then` runs after its commit. */
function notifying(id: number, then: () => void = () => {}) {
  return database.platform.transaction(async (tx) => {
    notifiesAtCommit(tx);
    await tx.query("INSERT INTO notify_probe (id) VALUES (?) RETURNING pg_notify('notify_probe', id::text)", [id]);
    tx.afterCommit(then);
    const [{ xid }] = await tx.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
    return xid;
  });
}

t.test('a notifying transaction commits, its steps after commit run, and the connection keeps synchronous commits', async (t) => {
  let ran = false;
  const xid = await notifying(1, () => {
    ran = true;
  });
  t.same(await ids(), [1]);
  t.ok(ran, 'after-commit steps ran');
  const [{ status }] = await database.query<{ status: string }>('SELECT pg_xact_status(?::xid8) AS status', [xid]);
  t.equal(status, 'committed');
  const [{ synchronous_commit }] = await database.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
  t.equal(synchronous_commit, 'on', 'the asynchronous commit was local to its transaction');
});

t.test('a notifying transaction whose COMMIT fails answers the error, changes nothing and runs no after-commit step', async (t) => {
  let ran = false;
  // The deferred unique check fails at COMMIT, inside the message that also holds the barrier.
  await t.rejects(
    notifying(1, () => {
      ran = true;
    }),
    { code: '23505' },
  );
  t.same(await ids(), [1], 'the duplicate was not committed');
  t.notOk(ran);
  await notifying(2);
  t.same(await ids(), [1, 2], 'the connection works for the next transaction');
});

t.test('a notifying transaction that throws rolls back as any other', async (t) => {
  await t.rejects(
    database.platform.transaction(async (tx) => {
      notifiesAtCommit(tx);
      await tx.query("INSERT INTO notify_probe (id) VALUES (3) RETURNING pg_notify('notify_probe', '3')");
      throw new Error('no');
    }),
    /no/,
  );
  t.same(await ids(), [1, 2]);
});
