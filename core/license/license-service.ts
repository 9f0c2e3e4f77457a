import { type KeyObject, randomBytes } from 'node:crypto';
import { link, mkdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../logging/logger.ts';
import { generateLicenseKeyPair, type LicensePrivateJwk, readPrivateJwk, writePrivateJwk } from './license-keys.ts';
import { issueLicense, LicenseError, type LicenseInfo, trustedKeySet, verifyLicense } from './license-token.ts';
import type { SqlQuery } from '../db/sql-handles.ts';

/** MikroORM-style raw query (`?` placeholders), as `Database.query` runs it. */
export type LicenseQuery = SqlQuery;

export interface LicenseServiceDeps {
  config: { env: 'development' | 'production' | 'test'; dataDir: string; licenseKey?: string; licensePublicKeys: string[] };
  query: LicenseQuery;
  logger: Logger;
  /** Ids of every available plugin (the development license grants them all). */
  pluginIds: () => string[];
}

export type LicenseListener = (info: LicenseInfo | undefined) => Promise<void>;

/** Where the active license came from. */
export type LicenseSource = 'config' | 'database' | 'development' | 'activation';

interface ActiveLicense {
  info: LicenseInfo;
  token: string;
  source: LicenseSource;
}

/** setTimeout's ceiling (about 24.8 days); longer waits re-arm. */
const maxTimerMs = 2 ** 31 - 1;
export const devKeyFileName = 'license-dev-key.json';

/**
 * The license this process runs under. Sources, in order: ITOPS_LICENSE_KEY (an invalid one fails
 * boot), the license last activated through the API (persisted in the `license` row), and outside
 * production a development license for every plugin signed by a local key trusted by this process
 * only. Without any of them (production) only the core runs. Listeners hear every change, including
 * expiry, so the kernel can load and unload plugins while the server runs.
 */
export class LicenseService {
  readonly #deps: LicenseServiceDeps;
  readonly #trusted: Map<string, KeyObject>;
  readonly #listeners: LicenseListener[] = [];
  #active: ActiveLicense | undefined;
  #timer: NodeJS.Timeout | undefined;
  #changes: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(deps: LicenseServiceDeps, trusted: Map<string, KeyObject>) {
    this.#deps = deps;
    this.#trusted = trusted;
  }

  static async create(deps: LicenseServiceDeps): Promise<LicenseService> {
    const { config, logger } = deps;
    let trusted: Map<string, KeyObject>;
    try {
      trusted = trustedKeySet(config.licensePublicKeys);
    } catch (error) {
      throw new Error(`ITOPS_LICENSE_PUBLIC_KEYS: ${(error as Error).message}`);
    }
    const devKey = config.env === 'production' ? undefined : await developmentKey(config.dataDir, logger);
    if (devKey) for (const [kid, key] of trustedKeySet([devKey.x])) trusted.set(kid, key);
    const service = new LicenseService(deps, trusted);

    if (config.licenseKey) {
      const token = config.licenseKey.trim();
      try {
        service.#set({ info: await verifyLicense(token, trusted), token, source: 'config' });
      } catch (error) {
        if (error instanceof LicenseError) throw new LicenseError(error.reason, `ITOPS_LICENSE_KEY is not a valid license: ${error.message}`, { cause: error });
        throw error;
      }
    } else {
      const token = await service.#persistedToken();
      if (token) {
        try {
          service.#set({ info: await verifyLicense(token, trusted), token, source: 'database' });
        } catch (error) {
          if (!(error instanceof LicenseError)) throw error;
          logger.warn({ reason: error.reason }, `the activated license is no longer valid and is ignored: ${error.message}`);
        }
      }
    }

    if (!service.#active && devKey) {
      const token = await issueLicense(devKey, { customer: 'Local development', plugins: deps.pluginIds(), development: true, edition: 'development' });
      const info = await verifyLicense(token, trusted);
      service.#set({ info, token, source: 'development' });
      logger.warn(
        { plugins: info.plugins, keyFile: path.join(config.dataDir, devKeyFileName) },
        'development license issued for all plugins; never used when NODE_ENV=production',
      );
    } else if (service.#active) {
      const { info, source } = service.#active;
      logger.info({ customer: info.customer, plugins: info.plugins, edition: info.edition, expiresAt: info.expiresAt, source }, 'license active');
    } else {
      logger.warn('no license: only the core runs (set ITOPS_LICENSE_KEY or POST /api/v1/license/activate)');
    }
    return service;
  }

  /** Whether the active, unexpired license includes the plugin (`*` includes every plugin). */
  allows(pluginId: string): boolean {
    const info = this.current();
    return info !== undefined && (info.plugins.includes('*') || info.plugins.includes(pluginId));
  }

  /** The active license, or undefined when there is none or it has expired. */
  current(): LicenseInfo | undefined {
    const info = this.#active?.info;
    if (info?.expiresAt && info.expiresAt.getTime() <= Date.now()) return undefined;
    return info;
  }

  /** Where the active license came from (undefined without one). */
  source(): LicenseSource | undefined {
    return this.current() ? this.#active?.source : undefined;
  }

  /** Verifies (throws LicenseError), persists as the activated license, switches to it and waits for the listeners. */
  async activate(token: string): Promise<LicenseInfo> {
    const trimmed = typeof token === 'string' ? token.trim() : token;
    const info = await verifyLicense(trimmed, this.#trusted);
    await this.#deps.query(
      `INSERT INTO license (id, token, customer, plugins, expires_at, activated_at)
       VALUES (1, ?, ?, ARRAY(SELECT jsonb_array_elements_text(CAST(? AS jsonb))), CAST(? AS timestamptz), now())
       ON CONFLICT (id) DO UPDATE SET token = excluded.token, customer = excluded.customer, plugins = excluded.plugins,
         expires_at = excluded.expires_at, activated_at = excluded.activated_at`,
      [trimmed, info.customer, JSON.stringify(info.plugins), info.expiresAt ? info.expiresAt.toISOString() : null],
    );
    this.#set({ info, token: trimmed, source: 'activation' });
    this.#deps.logger.info({ customer: info.customer, plugins: info.plugins, edition: info.edition, expiresAt: info.expiresAt }, 'license activated');
    await this.#notify(info);
    return info;
  }

  /**
   * Picks up a license another node activated (call it when `license:updated` arrives): switches
   * when the persisted token differs from the active one and verifies.
   */
  async reload(): Promise<LicenseInfo | undefined> {
    const token = await this.#persistedToken();
    if (!token || token === this.#active?.token) return this.current();
    let info: LicenseInfo;
    try {
      info = await verifyLicense(token, this.#trusted);
    } catch (error) {
      if (!(error instanceof LicenseError)) throw error;
      this.#deps.logger.warn({ reason: error.reason }, `the persisted license is not valid and is ignored: ${error.message}`);
      return this.current();
    }
    this.#set({ info, token, source: 'database' });
    this.#deps.logger.info({ customer: info.customer, plugins: info.plugins, expiresAt: info.expiresAt }, 'license reloaded');
    await this.#notify(info);
    return info;
  }

  /** Listeners run one change at a time, in registration order; the kernel reconciles plugins here. */
  onChange(listener: LicenseListener): void {
    this.#listeners.push(listener);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #persistedToken(): Promise<string | undefined> {
    const [row] = await this.#deps.query<{ token: string }>('SELECT token FROM license WHERE id = 1');
    return row?.token;
  }

  #set(active: ActiveLicense): void {
    this.#active = active;
    this.#arm();
  }

  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const active = this.#active;
    const expiresAt = active?.info.expiresAt;
    if (!active || !expiresAt || this.#closed) return;
    const delay = Math.min(Math.max(expiresAt.getTime() - Date.now(), 0), maxTimerMs);
    this.#timer = setTimeout(() => {
      if (this.#active !== active) return;
      if (expiresAt.getTime() > Date.now()) return this.#arm();
      this.#active = undefined;
      this.#timer = undefined;
      this.#deps.logger.warn(
        { customer: active.info.customer, plugins: active.info.plugins, expiresAt },
        `license expired at ${expiresAt.toISOString()}; its plugins are turned off`,
      );
      this.#notify(undefined).catch(() => undefined);
    }, delay);
    this.#timer.unref();
  }

  /** Runs the listeners for one change after every earlier change has been handled. */
  #notify(info: LicenseInfo | undefined): Promise<void> {
    const run = async () => {
      if (this.#closed) return;
      for (const listener of this.#listeners) {
        try {
          await listener(info);
        } catch (error) {
          this.#deps.logger.error({ err: error }, 'a license change listener failed');
        }
      }
    };
    this.#changes = this.#changes.then(run, run);
    return this.#changes;
  }
}

/** The local development signing key: generated once, kept in the data directory (0600). */
async function developmentKey(dataDir: string, logger: Logger): Promise<LicensePrivateJwk> {
  const file = path.join(dataDir, devKeyFileName);
  try {
    return await readPrivateJwk(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      logger.warn({ file, err: error }, 'the development license key cannot be used; generating a new one');
      const { privateJwk } = generateLicenseKeyPair();
      await writePrivateJwk(file, privateJwk);
      return privateJwk;
    }
  }
  await mkdir(dataDir, { recursive: true });
  // Written aside and linked into place, so a node sharing the data directory never reads half a key.
  const { privateJwk } = generateLicenseKeyPair();
  const scratch = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writePrivateJwk(scratch, privateJwk, { exclusive: true });
  try {
    await link(scratch, file);
    logger.info({ file }, 'generated the development license key');
    return privateJwk;
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readPrivateJwk(file);
    throw error;
  } finally {
    await unlink(scratch).catch(() => undefined);
  }
}
