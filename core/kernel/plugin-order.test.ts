import t from 'tap';
import { dependentsOf, orderByRequires } from './plugin-order.ts';

t.test('plugins come after what they require', async (t) => {
  const ordered = orderByRequires([
    { id: 'portal', requires: ['ticketing', 'sla'] },
    { id: 'ticketing', requires: ['audit'] },
    { id: 'sla' },
    { id: 'audit' },
  ]).map((p) => p.id);
  t.ok(ordered.indexOf('audit') < ordered.indexOf('ticketing'));
  t.ok(ordered.indexOf('ticketing') < ordered.indexOf('portal'));
  t.ok(ordered.indexOf('sla') < ordered.indexOf('portal'));
  t.equal(ordered.length, 4);
});

t.test('a missing dependency names both plugins', async (t) => {
  t.throws(() => orderByRequires([{ id: 'portal', requires: ['ticketing'] }]), { message: 'plugin portal requires ticketing, which is not available' });
});

t.test('a cycle names the plugins in it', async (t) => {
  t.throws(() => orderByRequires([{ id: 'a', requires: ['b'] }, { id: 'b', requires: ['c'] }, { id: 'c', requires: ['a'] }, { id: 'd' }]), {
    message: /cycle: a -> b -> c -> a/,
  });
});

t.test('dependents are listed so that they unload first', async (t) => {
  const plugins = [{ id: 'audit' }, { id: 'ticketing', requires: ['audit'] }, { id: 'portal', requires: ['ticketing'] }, { id: 'sla' }];
  t.same(
    dependentsOf('audit', plugins).map((p) => p.id),
    ['portal', 'ticketing'],
  );
  t.same(dependentsOf('sla', plugins), []);
});
