import t from 'tap';
import type { Principal } from '../plugin-api/index.ts';
import { BearerAuthenticators } from './bearer-authenticators.ts';

const principal = (id: string): Principal => ({ kind: 'session', id, memberships: [], platformAdmin: false });

t.test('plugin bearer tokens are routed by prefix, once per prefix, until unregistered', async (t) => {
  const registry = new BearerAuthenticators();
  const undo = registry.register('itp_', async (token) => principal(token));
  t.equal(
    await registry
      .authenticatorFor('itp_abc')?.('itp_abc')
      .then((p) => p.id),
    'itp_abc',
  );
  t.equal(registry.authenticatorFor('itpinvite_abc'), undefined, 'a longer prefix is another prefix');
  t.equal(registry.authenticatorFor('eyJhbGciOi.x.y'), undefined, 'JWTs are not routed');
  t.equal(registry.authenticatorFor('abc'), undefined, 'API keys without an underscore are not routed');
  t.throws(() => registry.register('itp_', async (token) => principal(token)), /already registered/);
  t.throws(() => registry.register('Bad-', async (token) => principal(token)), /must match/);
  t.throws(() => registry.register('itops_', async (token) => principal(token)), /platform's own/, 'API keys stay the platform’s');
  t.throws(() => registry.register('nounderscore', async (token) => principal(token)), /must match/);
  undo();
  t.equal(registry.authenticatorFor('itp_abc'), undefined, 'an unloaded plugin’s tokens are no longer its');
});
