import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { startNewInstallation } from '../core/first-run/first-run.testkit.ts';

/** Where the browser test keeps a screenshot of every page it visits (CI keeps the folder as an artifact). */
export const screenshotDir = path.join(import.meta.dirname, 'screenshots');

/**
 * A new installation with the first-party plugins, as `npm start` on a fresh host: no user yet, a
 * first-run link in its log, and the license given (a development server otherwise licenses
 * every plugin, and the test wants some off until it activates a license).
 */
export function startConsoleInstallation(t: { teardown(fn: () => unknown): void }, env: Record<string, string>) {
  return startNewInstallation(t, { ITOPS_DB_POOL_SIZE: '6', ...env }, { firstParty: true });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}
