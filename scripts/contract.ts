/**
 * `npm run contract` writes openapi/openapi.bundled.json: the root document, the core modules'
 * fragments and every first-party plugin's fragment, merged by the kernel's own code so the bundle
 * is exactly what a server with all plugins serves. It checks the house operation rules, then lints
 * the bundle with Redocly (offline: no telemetry, no update check).
 * `npm run contract:check` builds the bundle in memory and fails when the committed one is stale.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { operationsOf, readDocument } from '../core/contract/contract-document.ts';
import { ContractError, mergeContract } from '../core/contract/contract-merge.ts';
import { coreDocument } from '../core/contract/core-fragments.ts';
import { checkInputBounds } from '../core/contract/input-bounds.ts';
import { checkOperationRules } from '../core/contract/operation-rules.ts';
import { corePermissionNames } from '../core/kernel/core-permissions.ts';
import { hostVersion } from '../core/kernel/host-version.ts';
import { validateManifest } from '../core/kernel/manifest-validation.ts';
import { discoverFirstParty } from '../core/kernel/plugin-discovery.ts';
import type { PluginManifest } from '../core/plugin-api/index.ts';
import { pluginContractTypes } from './plugin-contract-types.ts';
import { formatWithBiome } from './sdk.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const bundleName = 'openapi/openapi.bundled.json';
const bundlePath = path.join(repoRoot, bundleName);
const check = process.argv.includes('--check');

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

// First-party plugins, in discovery order (sorted by folder name), validated as the kernel does.
const discovered = await discoverFirstParty(path.join(repoRoot, 'plugins'));
// The server leaves a broken plugin off and boots; the build of the first-party bundle must not.
const manifestProblems = discovered.flatMap((d) => (d.error ? [`${d.source}: ${d.error}`] : validateManifest(d.manifest, hostVersion, d.source)));
if (manifestProblems.length > 0) fail(`Invalid plugin manifests:\n${manifestProblems.map((p) => `  - ${p}`).join('\n')}`);
const manifests = discovered.map((d) => d.manifest as PluginManifest);

let bundle: Record<string, any>;
try {
  bundle = mergeContract(
    coreDocument(),
    manifests.filter((m) => m.openapi).map((m) => ({ owner: m.id, document: readDocument(m.openapi as URL | Record<string, unknown>) })),
  );
} catch (error) {
  if (error instanceof ContractError) fail(error.message);
  throw error;
}

// Every operation must meet the house rules, with permissions some manifest (core or plugin) declares.
const known = new Set([...corePermissionNames(), ...manifests.flatMap((m) => (m.permissions ?? []).map((p) => p.name))]);
const ruleProblems: string[] = [];
for (const { path: route, method, operation } of operationsOf(bundle)) {
  const single = { paths: { [route]: { [method]: operation } }, components: bundle.components };
  ruleProblems.push(...checkOperationRules(single, String(operation['x-plugin'] ?? 'bundle'), known));
}
ruleProblems.push(...checkInputBounds(bundle));
if (ruleProblems.length > 0) fail(`The bundled contract breaks the operation rules:\n${ruleProblems.map((p) => `  - ${p}`).join('\n')}`);

const text = `${JSON.stringify(bundle, null, 2)}\n`;
// Beside each first-party plugin, its operations' types: its handlers are typed from the contract.
const outputs = [{ name: bundleName, file: bundlePath, text }];
for (const d of discovered) {
  const manifest = d.manifest as PluginManifest;
  if (!manifest.openapi) continue;
  const file = path.join(repoRoot, path.dirname(d.source), 'contract.types.ts');
  outputs.push({ name: path.relative(repoRoot, file), file, text: formatWithBiome(pluginContractTypes(bundle, manifest.id)) });
}
for (const output of outputs) {
  if (check) {
    if (!existsSync(output.file) || readFileSync(output.file, 'utf8') !== output.text) fail(`${output.name} is stale: run npm run contract`);
    process.stdout.write(`${output.name} is current\n`);
  } else {
    writeFileSync(output.file, output.text);
    process.stdout.write(`wrote ${output.name}\n`);
  }
}

// Run Redocly's own entry point with this Node, so the script works outside npm scripts too.
const redoclyPackage = createRequire(import.meta.url).resolve('@redocly/cli/package.json');
const redoclyBin = path.join(path.dirname(redoclyPackage), JSON.parse(readFileSync(redoclyPackage, 'utf8')).bin.redocly);
const lint = spawnSync(process.execPath, [redoclyBin, 'lint', bundleName, '--config', 'redocly.yaml', '--format', 'stylish'], {
  cwd: repoRoot,
  stdio: 'inherit',
  env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  timeout: 120_000,
});
if (lint.error) fail(`Redocly lint could not run: ${lint.error.message}`);
if (lint.status !== 0) fail(`Redocly lint found errors in ${bundleName}`);
