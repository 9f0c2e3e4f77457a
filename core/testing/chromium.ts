import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

const executablePath = '/usr/bin/chromium';

/** Why a browser test cannot run here, or false: Debian's chromium is what the tests drive. */
export const chromiumSkip: string | false = existsSync(executablePath) ? false : `${executablePath} is absent: install it with \`apt-get install -y chromium\``;

/**
 * Headless Debian Chromium in a fresh profile, closed and removed when the test ends. The flags keep
 * it off the network it would otherwise reach for (updates, sync, QUIC), which this machine refuses.
 */
export async function openChromium(
  t: { teardown(fn: () => unknown): void },
  options: { colorScheme?: 'light' | 'dark'; viewport?: { width: number; height: number } } = {},
): Promise<BrowserContext> {
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
