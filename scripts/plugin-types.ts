/**
 * `npm run plugin:types -- <plugin module> [output]`: a third-party plugin's operation types, for
 * handlers typed by its contract (`ContractHandlers<OperationTypes, …>`). The plugin's fragment is
 * merged with the core's contract exactly as the kernel merges it (so `$ref`s to core components such
 * as `#/components/responses/BadRequest` resolve), and only its own operations are emitted.
 * Default output: `contract.types.ts` beside the plugin module. `--check` fails when that file is stale.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { readDocument } from '../core/contract/contract-document.ts';
import { mergeContract } from '../core/contract/contract-merge.ts';
import { coreDocument } from '../core/contract/core-fragments.ts';
import { pluginContractTypes } from './plugin-contract-types.ts';
import type { PluginManifest } from '../core/plugin-api/index.ts';
import { formatWithBiome } from './sdk.ts';

const args = process.argv.slice(2).filter((a) => a !== '--check');
const check = process.argv.includes('--check');
const [modulePath, outputArg] = args;
if (!modulePath) {
  process.stderr.write('usage: plugin-types <plugin module> [output] [--check]\n');
  process.exit(2);
}
const imported = await import(pathToFileURL(path.resolve(modulePath)).href);
const manifest = (imported.default ?? imported.plugin) as PluginManifest;
if (!manifest?.openapi) {
  process.stderr.write(`${modulePath}: the default export is not a plugin manifest with an openapi fragment\n`);
  process.exit(1);
}
const bundle = mergeContract(coreDocument(), [{ owner: manifest.id, document: readDocument(manifest.openapi) }]);
const output = outputArg ?? path.join(path.dirname(path.resolve(modulePath)), 'contract.types.ts');
const text = formatWithBiome(pluginContractTypes(bundle, manifest.id));
if (check) {
  if (!existsSync(output) || readFileSync(output, 'utf8') !== text) {
    process.stderr.write(`${output} is stale: run plugin-types again\n`);
    process.exit(1);
  }
  process.stdout.write(`${output} is current\n`);
} else {
  writeFileSync(output, text);
  process.stdout.write(`wrote ${output}\n`);
}
