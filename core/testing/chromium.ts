import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

const executablePath = '/usr/bin/chromium';

/** Why a browser test cannot run here, or false: Debian's chromium is what the tests drive. */
export const chromiumSkip: string | false = existsSync(executablePath) ? false : `${executablePath} is absent: install it with \`apt-get install -y chromium\``;

/**
 * A browser test file's time limit. Alone such a file takes under half a minute, but in the full run it
 * shares two cores with three other test files and often another Chromium, and the suite's default two
 * minutes was once not enough (the API reference's test, in CI).
 */
export const browserTestTimeoutMs = 360_000;

/**
 * Headless Debian Chromium in a fresh profile, closed and removed when the test ends. The flags keep
 * it off the network it would otherwise reach for (updates, sync, QUIC), which this machine refuses.
 */
export async function openChromium(
  t: { teardown(fn: () => unknown): void },
  options: { colorScheme?: 'light' | 'dark'; viewport?: { width: number; height: number } } = {},
): Promise<BrowserContext> {
  // Loaded here, not at the top: every test imports the testing kit, few open a browser.
  const { chromium } = await import('playwright-core');
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'itops-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    ...options,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  t.teardown(async () => {
    await context.close();
    await rm(userDataDir, { recursive: true, force: true });
  });
  return context;
}

let axeScript: Promise<string> | undefined;
const axeSource = () => (axeScript ??= readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'));

/** axe-core's serious and critical violations on the page, evaluated over the DevTools protocol (a strict CSP allows no foreign script). */
export async function seriousViolations(page: Page): Promise<string[]> {
  // Injected once per document: the console keeps it across its own navigations, and injecting 550 kB
  // again cost the console's test some 17 of its 75 seconds.
  if (!(await page.evaluate('typeof axe === "object"'))) await page.evaluate(await axeSource());
  const result = (await page.evaluate('axe.run(document, { resultTypes: ["violations"] })')) as {
    violations: { id: string; impact: string | null; nodes: { target: unknown }[] }[];
  };
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
}
