/**
 * Generates the SDK's types from the bundled contract: `npm run sdk` writes sdk/generated/contract.ts,
 * `npm run sdk:check` (CI) fails when the committed file no longer matches the contract.
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
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDocument, rootDocumentUrl } from '../core/contract/contract-document.ts';
import { mergeContract } from '../core/contract/contract-merge.ts';
import { emitContract } from '../sdk/codegen/contract-emitter.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const bundledPath = fileURLToPath(new URL('../openapi/openapi.bundled.json', import.meta.url));
const outputPath = fileURLToPath(new URL('../sdk/generated/contract.ts', import.meta.url));
const outputName = 'sdk/generated/contract.ts';

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

export function generateSdk(): { text: string; source: string } {
  const { document, source } = loadContract();
  return { text: formatWithBiome(emitContract(document)), source };
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const { text, source } = generateSdk();
  if (check) {
    const current = existsSync(outputPath) ? readFileSync(outputPath, 'utf8') : undefined;
    if (current !== text) {
      console.error(`${outputName} is stale: run npm run sdk`);
      return 1;
    }
    console.log(`${outputName} is up to date with ${source}`);
    return 0;
  }
  mkdirSync(dirname(outputPath), { recursive: true });
  writeFileSync(outputPath, text);
  console.log(`wrote ${outputName} from ${source}`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));
