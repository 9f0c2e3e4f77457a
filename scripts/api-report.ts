/**
 * `npm run api:report` writes, `npm run api:check` verifies: the public surface of the plugin API
 * (`itops/plugin-api` and `itops/plugin-api/testing`) as API Extractor reports it, committed under
 * api-report/ so that every change of what plugins can reach shows up in review. The sources import
 * with `.ts` extensions, so their declarations are emitted first (tsc) into a scratch folder under
 * dist/ (git-ignored), where the declarations' own imports (pg, koa, …) still resolve from
 * node_modules but are not taken for a library's (API Extractor skips files inside node_modules).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompilerState, Extractor, ExtractorConfig, ExtractorLogLevel } from '@microsoft/api-extractor';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const check = process.argv.includes('--check');
const entries = [
  // Types the entry uses without exporting (the configuration, an alert's summary) are surface too.
  { report: 'plugin-api.api.md', declarations: 'core/plugin-api/index.d.ts', includeForgottenExports: true },
  // Not here: the host's own tests get the kernel itself, whose internals are no plugin's surface.
  { report: 'plugin-api-testing.api.md', declarations: 'core/plugin-api/testing.d.ts', includeForgottenExports: false },
];

/**
 * Declarations keep the sources' `./x.ts` specifiers, which API Extractor's compiler takes for
 * external modules; `./x.js` is how a declaration names its sibling `x.d.ts`.
 */
function pointImportsAtDeclarations(folder: string): void {
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
    const file = path.join(entry.parentPath, entry.name);
    const text = readFileSync(file, 'utf8');
    const rewritten = text.replace(/((?:from\s+|import\()(['"])\.{1,2}\/[^'"]*?)\.ts\2/g, '$1.js$2');
    if (rewritten !== text) writeFileSync(file, rewritten);
  }
}

mkdirSync(path.join(root, 'dist'), { recursive: true });
mkdirSync(path.join(root, 'api-report'), { recursive: true });
const scratch = mkdtempSync(path.join(root, 'dist/api-report-'));
let failed = false;
try {
  execFileSync(path.join(root, 'node_modules/.bin/tsc'), ['-p', path.join(root, 'scripts/api-report.tsconfig.json'), '--outDir', scratch], {
    stdio: 'inherit',
  });
  pointImportsAtDeclarations(scratch);
  const configs = entries.map((entry) =>
    ExtractorConfig.prepare({
      configObject: {
        projectFolder: root,
        mainEntryPointFilePath: path.join(scratch, entry.declarations),
        newlineKind: 'lf',
        compiler: {
          overrideTsconfig: {
            compilerOptions: { target: 'es2024', lib: ['es2024'], module: 'nodenext', moduleResolution: 'nodenext', strict: true, types: ['node'] },
          },
        },
        apiReport: {
          enabled: true,
          reportFileName: entry.report,
          reportFolder: path.join(root, 'api-report'),
          reportTempFolder: scratch,
          includeForgottenExports: entry.includeForgottenExports,
        },
        docModel: { enabled: false },
        dtsRollup: { enabled: false },
        tsdocMetadata: { enabled: false },
        messages: {
          // The plugin API has one audience and no release stages, and its comments are prose, not TSDoc.
          extractorMessageReporting: {
            'ae-missing-release-tag': { logLevel: ExtractorLogLevel.None },
            // `@internal` marks what the host's own tests use; the names are the host's and stay.
            'ae-internal-missing-underscore': { logLevel: ExtractorLogLevel.None },
          },
          tsdocMessageReporting: { default: { logLevel: ExtractorLogLevel.None } },
        },
      },
      configObjectFullPath: undefined,
      packageJsonFullPath: path.join(root, 'package.json'),
    }),
  );
  // One analysis of the declarations serves both entries.
  const compilerState = CompilerState.create(configs[0], { additionalEntryPoints: configs.slice(1).map((c) => c.mainEntryPointFilePath) });
  for (const [i, entry] of entries.entries()) {
    const result = Extractor.invoke(configs[i], { localBuild: !check, showVerboseMessages: false, compilerState });
    if (result.apiReportChanged && check) {
      // The new report lives in the scratch folder, removed below: show the difference here.
      const committed = path.join(root, 'api-report', entry.report);
      const diff = spawnSync('diff', ['-u', committed, path.join(scratch, entry.report)], { encoding: 'utf8' });
      console.error(diff.stdout || diff.error?.message);
      console.error(`api-report/${entry.report} is out of date: the public plugin API changed. Run \`npm run api:report\` and commit the report.`);
      failed = true;
    } else if (!result.succeeded) {
      failed = true;
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
