import { runConformance } from './suite.ts';

/**
 * `npm run conformance -- --base-url http://127.0.0.1:3000` (or CONFORMANCE_BASE_URL): checks a live
 * server against the contract it serves. Ends with `N passed, M failed`; exit code 0 only when M is 0.
 * With CONFORMANCE_EMAIL and CONFORMANCE_PASSWORD (a platform admin), bad input is also sent past
 * authorization: the suite creates a workspace `conformance` and a workspace admin in it.
 */

function baseUrlFromArgs(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--base-url') return args[i + 1];
    if (arg.startsWith('--base-url=')) return arg.slice('--base-url='.length);
  }
  return process.env.CONFORMANCE_BASE_URL || undefined;
}

const baseUrl = baseUrlFromArgs(process.argv.slice(2));
if (!baseUrl || process.argv.includes('--help')) {
  process.stderr.write('usage: npm run conformance -- --base-url http://127.0.0.1:3000   (or set CONFORMANCE_BASE_URL)\n');
  process.exit(2);
}
try {
  new URL(baseUrl);
} catch {
  process.stderr.write(`not a URL: ${baseUrl}\n`);
  process.exit(2);
}

const email = process.env.CONFORMANCE_EMAIL;
const password = process.env.CONFORMANCE_PASSWORD;
const { passed, failed } = await runConformance(baseUrl, console.log, email && password ? { email, password } : undefined);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
