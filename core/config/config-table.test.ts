import { readFileSync } from 'node:fs';
import t from 'tap';
import { firstPartyVariables, replaceTable } from './config-table.ts';

t.test('the README configuration table matches the config schema and the plugins variables', async (t) => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  t.equal(replaceTable(readme, await firstPartyVariables()), readme, 'run `npm run docs:config` to regenerate it');
});
