/** `npm run docs:config`: rewrites the configuration table in README.md from the config schema. */
import { readFileSync, writeFileSync } from 'node:fs';
import { replaceTable } from '../core/config/config-table.ts';

const readme = readFileSync('README.md', 'utf8');
writeFileSync('README.md', replaceTable(readme));
