import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { pino } from 'pino';
import { Kernel } from '../core/kernel/kernel.ts';
import { cloneTestDatabase } from '../core/testing/test-database.ts';

/** Where the browser test keeps a screenshot of every page it visits (CI keeps the folder as an artifact). */
export const screenshotDir = path.join(import.meta.dirname, 'screenshots');

/**
 * A new installation with the first-party plugins, as `npm start` on a fresh host: no user yet, a
 * first-run link in its log, and the license given (a development server otherwise licenses
 * every plugin, and the test wants some off until it activates a license).
 */
export async function startConsoleInstallation(t: { teardown(fn: () => unknown): void }, env: Record<string, string>) {
  const database = await cloneTestDatabase();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'itops-console-'));
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  let kernel: Kernel;
  try {
    kernel = await Kernel.start({
      env: {
        NODE_ENV: 'development',
        ITOPS_PORT: '0',
        ITOPS_HOST: '127.0.0.1',
        ITOPS_DATA_DIR: dataDir,
        ITOPS_WORKER_THREADS: '1',
        ITOPS_DB_POOL_SIZE: '6',
        DATABASE_URL: database.url,
        ...env,
      },
      logger,
    });
  } catch (error) {
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  t.teardown(async () => {
    await kernel.stop();
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  });
  const setupLink = () =>
    lines
      .map((line) => JSON.parse(line) as { setupUrl?: string })
      .map((entry) => entry.setupUrl)
      .find(Boolean);
  return { kernel, setupLink };
}

/** axe-core's serious and critical violations on the page, run over the DevTools protocol (the CSP allows no foreign script). */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'));
  const result = (await page.evaluate('axe.run(document, { resultTypes: ["violations"] })')) as {
    violations: { id: string; impact: string | null; nodes: { target: unknown }[] }[];
  };
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}
