/**
 * Generates the SDK's types (`@itops/sdk`, in sdk/) with openapi-typescript: `npm run sdk` writes
 * sdk/generated/openapi.ts from the bundled contract and sdk/generated/events.ts from the event
 * payload schemas the plugins declare; `npm run sdk:check` (CI) fails when either no longer matches.
 *
 * Input is openapi/openapi.bundled.json (built by `npm run contract`); while that file does not exist
 * yet, the root document is merged in memory the same way the kernel does.
 *
 * The output is formatted by Biome with the repository's settings. biome.json ignores sdk/generated
 * (so lint and format runs skip generated code), so the text goes through `biome format` on stdin
 * under a path that is not ignored; the result is exactly what a formatter run would leave unchanged.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDocument, rootDocumentUrl } from '../core/contract/contract-document.ts';
import { mergeContract } from '../core/contract/contract-merge.ts';
import { discoverFirstParty } from '../core/kernel/plugin-discovery.ts';
import type { EventDeclaration, PluginManifest } from '../core/plugin-api/index.ts';
import { generateEventTypes, generateTypes } from '../sdk/codegen/generate-types.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const bundledPath = fileURLToPath(new URL('../openapi/openapi.bundled.json', import.meta.url));

function loadContract(): { document: Record<string, any>; source: string } {
  if (existsSync(bundledPath)) return { document: JSON.parse(readFileSync(bundledPath, 'utf8')), source: 'openapi/openapi.bundled.json' };
  return { document: mergeContract(readDocument(rootDocumentUrl()), []), source: 'openapi/root.yaml (merged in memory; run npm run contract)' };
}

/** Formats TypeScript source with the repository's Biome settings. */
export function formatWithBiome(source: string): string {
  const biome = fileURLToPath(new URL('../node_modules/.bin/biome', import.meta.url));
  const result = spawnSync(biome, ['format', '--stdin-file-path=sdk/contract.generated.ts'], { cwd: repoRoot, input: source, encoding: 'utf8' });
  if (result.error) throw result.error;
  if (result.status !== 0 || !result.stdout) throw new Error(`biome format failed (exit ${result.status}):\n${result.stderr}`);
  return result.stdout;
}

/** Every event topic the first-party plugins and the core declare, with its payload schema. */
async function eventDeclarations(): Promise<EventDeclaration[]> {
  const discovered = await discoverFirstParty(path.join(repoRoot, 'plugins'));
  return discovered.filter((d) => !d.error).flatMap((d) => (d.manifest as PluginManifest).events ?? []);
}

export async function generateSdk(): Promise<{ files: { name: string; text: string }[]; source: string }> {
  const { document, source } = loadContract();
  return {
    source,
    files: [
      { name: 'sdk/generated/openapi.ts', text: formatWithBiome(await generateTypes(document)) },
      { name: 'sdk/generated/events.ts', text: formatWithBiome(await generateEventTypes(await eventDeclarations())) },
    ],
  };
}

async function main(argv: string[]): Promise<number> {
  const check = argv.includes('--check');
  const { files, source } = await generateSdk();
  let stale = 0;
  for (const { name, text } of files) {
    const file = path.join(repoRoot, name);
    if (check) {
      const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
      if (current !== text) {
        console.error(`${name} is stale: run npm run sdk`);
        stale++;
      } else console.log(`${name} is up to date with ${source}`);
      continue;
    }
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    console.log(`wrote ${name} from ${source}`);
  }
  return stale > 0 ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = await main(process.argv.slice(2));
