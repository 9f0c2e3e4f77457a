import t from 'tap';
import { startTestKernel } from '../testing/test-kernel.ts';
import { migrate } from './sql-migrator.ts';

t.test('a migration chosen as a deadlock victim is rolled back and run again', async (t) => {
  const kernel = await startTestKernel(t);
  const db = kernel.database.platform;
  await db.query('CREATE TABLE mig_a (id int); CREATE TABLE mig_b (id int)');

  // Another transaction holds mig_b and then wants mig_a, which the migration holds while it waits
  // for mig_b. Its deadlock check waits longer than the migration's, so the migration is the victim.
  let holding: () => void = () => {};
  const holds = new Promise<void>((resolve) => {
    holding = resolve;
  });
  const other = db.transaction(async (tx) => {
    await tx.query("SET LOCAL deadlock_timeout = '10s'");
    await tx.query('LOCK TABLE mig_b IN ACCESS EXCLUSIVE MODE');
    holding();
    await tx.query('SELECT pg_sleep(0.2)');
    await tx.query('LOCK TABLE mig_a IN ACCESS EXCLUSIVE MODE');
    await tx.query('INSERT INTO mig_a VALUES (1)');
  });
  await holds;
  const applied = await migrate(db, 'migtest', [
    {
      name: '0001-both-tables',
      up: `LOCK TABLE mig_a IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(0.4); LOCK TABLE mig_b IN ACCESS EXCLUSIVE MODE;
           CREATE TABLE mig_done AS SELECT count(*) AS rows_of_a FROM mig_a`,
    },
  ]);
  await other;
  t.same(applied, ['migtest/0001-both-tables'], 'applied, on its second run');
  t.same(await db.query('SELECT rows_of_a::int AS n FROM mig_done'), [{ n: 1 }], 'after the other transaction committed');
  t.same(await db.query("SELECT name FROM itops_migrations WHERE name LIKE 'migtest/%'"), [{ name: 'migtest/0001-both-tables' }], 'recorded once');

  await t.rejects(
    migrate(db, 'migtest', [{ name: '0002-broken', up: 'SELECT * FROM no_such_table' }]),
    /migration migtest\/0002-broken failed/,
    'a migration that fails by itself is not run again',
  );
});
