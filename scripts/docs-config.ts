/** `npm run docs:config`: rewrites the configuration table in README.md from the config schema and the first-party plugins' variables. */
import { readFileSync, writeFileSync } from 'node:fs';
import { firstPartyVariables, replaceTable } from '../core/config/config-table.ts';

const readme = readFileSync('README.md', 'utf8');
writeFileSync('README.md', replaceTable(readme, await firstPartyVariables()));
