/**
 * `npm run contract` writes openapi/openapi.bundled.json: the root document, the core modules'
 * fragments and every first-party plugin's fragment, merged by the kernel's own code so the bundle
 * is exactly what a server with all plugins serves. Then it lints the bundle with Redocly.
 * `npm run contract -- --check` fails when the committed bundle is stale.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readDocument } from '../core/contract/contract-document.ts';
import { ContractError, mergeContract } from '../core/contract/contract-merge.ts';
import { coreDocument } from '../core/contract/core-fragments.ts';
import { checkOperationRules } from '../core/contract/operation-rules.ts';
import { validateManifest } from '../core/kernel/manifest-validation.ts';
import { hostVersion } from '../core/kernel/host-version.ts';
import { discoverFirstParty } from '../core/kernel/plugin-discovery.ts';
import type { PluginManifest } from '../core/plugin-api/index.ts';

const bundlePath = 'openapi/openapi.bundled.json';
const check = process.argv.includes('--check');

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

const discovered = await discoverFirstParty(path.resolve('plugins'));
const manifestProblems = discovered.flatMap((d) => validateManifest(d.manifest, hostVersion, d.source));
if (manifestProblems.length > 0) fail(`Invalid plugin manifests:\n${manifestProblems.join('\n')}`);
const manifests = discovered.map((d) => d.manifest as PluginManifest);

let bundle: Record<string, any>;
try {
  bundle = mergeContract(
    coreDocument(),
    manifests.filter((m) => m.openapi).map((m) => ({ owner: m.id, document: readDocument(m.openapi as URL) })),
  );
} catch (error) {
  if (error instanceof ContractError) fail(error.message);
  throw error;
}

// Core permissions are declared by core modules; import them without building their services.
const { corePermissionNames } = await import('../core/kernel/core-permissions.ts');
const known = new Set([...corePermissionNames(), ...manifests.flatMap((m) => (m.permissions ?? []).map((p) => p.name))]);
const ruleProblems = checkOperationRules(bundle, 'bundle', known);
if (ruleProblems.length > 0) fail(`The bundled contract breaks the operation rules:\n${ruleProblems.join('\n')}`);

const text = `${JSON.stringify(bundle, null, 2)}\n`;
if (check) {
  if (!existsSync(bundlePath) || readFileSync(bundlePath, 'utf8') !== text) fail(`${bundlePath} is stale: run npm run contract`);
  process.stdout.write(`${bundlePath} is current\n`);
} else {
  writeFileSync(bundlePath, text);
  process.stdout.write(`wrote ${bundlePath}\n`);
}

const lint = spawnSync('redocly', ['lint', bundlePath, '--format', 'stylish'], {
  stdio: 'inherit',
  env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  timeout: 120_000,
});
if (lint.status !== 0) fail('Redocly lint found errors in the bundled contract');
