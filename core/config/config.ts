import os from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { type ConfigVariable, configVariables } from './config.schema.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  publicUrl?: string;
  databaseUrl?: string;
  dataDir: string;
  embeddedDbPort: number;
  /** wal_level of the embedded PostgreSQL (logical: the audit trail's WAL mode). */
  embeddedDbWalLevel: 'replica' | 'logical';
  dbPoolSize: number;
  /** A streaming read replica for reads that tolerate staleness (core/db/read-replica.ts). */
  databaseReplica?: { url: string; maxLagMs: number };
  /** Connections of the job queue's own pool. */
  jobsPoolSize: number;
  jwtSecret?: string;
  logLevel: string;
  workerThreads: number;
  workerWarmThreads: number;
  bodyLimitBytes: number;
  httpRequestTimeoutMs: number;
  httpHeadersTimeoutMs: number;
  httpKeepAliveTimeoutMs: number;
  httpMaxUnfinishedRequestsPerAddress: number;
  graphqlMaxDepth: number;
  graphqlMaxCost: number;
  graphqlListFactor: number;
  graphqlIntrospection: boolean;
  plugins: string[];
  disabledPlugins: string[];
  shutdownTimeoutMs: number;
  jobsEnabled: boolean;
  trustProxy: boolean;
  outboundHostAllowlist: string[];
  outboundAllowPrivate: boolean;
  webhookRetryBaseSeconds: number;
  /** Days published events and delivered webhook deliveries are kept (outbox-retention.ts). */
  eventRetentionDays: number;
  /** The relay of e-mail notification channels; absent until ITOPS_SMTP_HOST is set. */
  smtp?: SmtpConfig;
  /** Where job artifacts are kept when not on local disk; absent until ITOPS_ARTIFACTS_S3_ENDPOINT is set. */
  artifactsS3?: S3Config;
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
  adminEmail?: string;
  adminPassword?: string;
  licenseKey?: string;
  /** The secrets store's master key (base64); absent: generated into the data directory outside production. */
  masterKey?: string;
  /** Earlier master keys that only unwrap, during a rotation. */
  masterKeyPrevious: string[];
  licensePublicKeys: string[];
  /** ITOPS_* variables the core does not know: plugins declare and read their own (`ctx.config`). */
  pluginVariables: Readonly<Record<string, string>>;
}

export interface S3Config {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SmtpConfig {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  password: string;
  from: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const ajv = addFormats(new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true, strict: false }));
const validate = ajv.compile({ type: 'object', properties: configVariables });

const list = (value: unknown) =>
  String(value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * The variables a schema names, read from the environment, coerced and with defaults filled in.
 * Every problem is reported at once, one line each, so an operator fixes a broken deployment in
 * one round trip. Plugins' own variables go through the same reading.
 */
export function readVariables(
  env: Readonly<Record<string, string | undefined>>,
  properties: Record<string, object>,
  check: ((raw: Record<string, unknown>) => boolean) & { errors?: { instancePath: string; message?: string }[] | null } = ajv.compile({
    type: 'object',
    properties,
  }),
): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const name of Object.keys(properties)) {
    const value = env[name];
    if (value !== undefined && value !== '') raw[name] = value;
  }
  if (!check(raw)) {
    const problems = (check.errors ?? []).map((e) => {
      const name = e.instancePath.replace(/^\//, '');
      const shown = name in raw ? ` (got ${JSON.stringify(env[name])})` : '';
      return `${name || 'environment'} ${e.message}${shown}`;
    });
    throw new ConfigError(problems);
  }
  return raw;
}

/**
 * Reads and validates the environment. Unknown ITOPS_* names are warnings (typos), unless a plugin
 * declares them: they are kept in `pluginVariables` for the plugins to read.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): { config: Config; warnings: string[] } {
  const raw = readVariables(env, configVariables, validate);
  const unknown = Object.keys(env).filter((name) => name.startsWith('ITOPS_') && !(name in configVariables));
  const warnings = unknown.map((name) => `unknown configuration variable ${name} is ignored`);
  const v = raw as Record<ConfigVariable, never>;
  const config: Config = {
    env: v.NODE_ENV,
    port: v.ITOPS_PORT ?? v.PORT,
    host: v.ITOPS_HOST,
    publicUrl: v.ITOPS_PUBLIC_URL,
    databaseUrl: v.DATABASE_URL,
    dataDir: path.resolve(v.ITOPS_DATA_DIR),
    embeddedDbPort: v.ITOPS_EMBEDDED_DB_PORT,
    embeddedDbWalLevel: v.ITOPS_EMBEDDED_DB_WAL_LEVEL as 'replica' | 'logical',
    dbPoolSize: v.ITOPS_DB_POOL_SIZE,
    databaseReplica: v.ITOPS_DATABASE_REPLICA_URL ? { url: v.ITOPS_DATABASE_REPLICA_URL, maxLagMs: v.ITOPS_DATABASE_REPLICA_MAX_LAG_MS } : undefined,
    jobsPoolSize: v.ITOPS_JOBS_POOL_SIZE,
    jwtSecret: v.ITOPS_JWT_SECRET,
    logLevel: v.ITOPS_LOG_LEVEL,
    workerThreads: v.ITOPS_WORKER_THREADS ?? Math.max(1, Math.min(4, os.availableParallelism())),
    workerWarmThreads: v.ITOPS_WORKER_WARM_THREADS,
    bodyLimitBytes: v.ITOPS_BODY_LIMIT_BYTES,
    httpRequestTimeoutMs: v.ITOPS_HTTP_REQUEST_TIMEOUT_MS,
    httpHeadersTimeoutMs: v.ITOPS_HTTP_HEADERS_TIMEOUT_MS,
    httpKeepAliveTimeoutMs: v.ITOPS_HTTP_KEEP_ALIVE_TIMEOUT_MS,
    httpMaxUnfinishedRequestsPerAddress: v.ITOPS_HTTP_MAX_UNFINISHED_REQUESTS_PER_ADDRESS,
    graphqlMaxDepth: v.ITOPS_GRAPHQL_MAX_DEPTH,
    graphqlMaxCost: v.ITOPS_GRAPHQL_MAX_COST,
    graphqlListFactor: v.ITOPS_GRAPHQL_LIST_FACTOR,
    graphqlIntrospection: v.ITOPS_GRAPHQL_INTROSPECTION ?? v.NODE_ENV !== 'production',
    plugins: list(v.ITOPS_PLUGINS),
    disabledPlugins: list(v.ITOPS_DISABLED_PLUGINS),
    shutdownTimeoutMs: v.ITOPS_SHUTDOWN_TIMEOUT_MS,
    jobsEnabled: v.ITOPS_JOBS_ENABLED,
    trustProxy: v.ITOPS_TRUST_PROXY,
    outboundHostAllowlist: list(v.ITOPS_SECURITY_WEBHOOK_HOST_ALLOWLIST),
    outboundAllowPrivate: v.ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS,
    webhookRetryBaseSeconds: v.ITOPS_WEBHOOK_RETRY_BASE_SECONDS,
    eventRetentionDays: v.ITOPS_EVENT_RETENTION_DAYS,
    smtp: v.ITOPS_SMTP_HOST
      ? {
          host: v.ITOPS_SMTP_HOST,
          port: v.ITOPS_SMTP_PORT,
          secure: v.ITOPS_SMTP_SECURE,
          user: v.ITOPS_SMTP_USER,
          password: v.ITOPS_SMTP_PASSWORD,
          from: v.ITOPS_SMTP_FROM,
        }
      : undefined,
    artifactsS3: v.ITOPS_ARTIFACTS_S3_ENDPOINT
      ? {
          endpoint: v.ITOPS_ARTIFACTS_S3_ENDPOINT,
          bucket: v.ITOPS_ARTIFACTS_S3_BUCKET as string,
          region: v.ITOPS_ARTIFACTS_S3_REGION,
          accessKeyId: v.ITOPS_ARTIFACTS_S3_ACCESS_KEY_ID as string,
          secretAccessKey: v.ITOPS_ARTIFACTS_S3_SECRET_ACCESS_KEY as string,
        }
      : undefined,
    accessTokenTtlSeconds: v.ITOPS_ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlDays: v.ITOPS_REFRESH_TOKEN_TTL_DAYS,
    adminEmail: v.ITOPS_ADMIN_EMAIL,
    adminPassword: v.ITOPS_ADMIN_PASSWORD,
    licenseKey: v.ITOPS_LICENSE_KEY,
    masterKey: v.ITOPS_MASTER_KEY,
    masterKeyPrevious: list(v.ITOPS_MASTER_KEY_PREVIOUS),
    licensePublicKeys: list(v.ITOPS_LICENSE_PUBLIC_KEYS),
    pluginVariables: Object.freeze(Object.fromEntries(unknown.map((name) => [name, env[name] as string]))),
  };
  // ITOPS_PORT has a default, so PORT only applies when ITOPS_PORT was not given.
  if (env.ITOPS_PORT === undefined && raw.PORT !== undefined) config.port = Number(raw.PORT);
  if (config.env === 'production' && !config.jwtSecret) {
    throw new ConfigError(['ITOPS_JWT_SECRET is required when NODE_ENV=production (at least 32 characters)']);
  }
  if (config.httpHeadersTimeoutMs > config.httpRequestTimeoutMs) {
    throw new ConfigError(['ITOPS_HTTP_HEADERS_TIMEOUT_MS must not be larger than ITOPS_HTTP_REQUEST_TIMEOUT_MS']);
  }
  if (Boolean(config.adminEmail) !== Boolean(config.adminPassword)) {
    throw new ConfigError(['ITOPS_ADMIN_EMAIL and ITOPS_ADMIN_PASSWORD must be set together']);
  }
  const s3 = config.artifactsS3;
  if (s3 && (!s3.bucket || !s3.accessKeyId || !s3.secretAccessKey)) {
    throw new ConfigError([
      'ITOPS_ARTIFACTS_S3_ENDPOINT needs ITOPS_ARTIFACTS_S3_BUCKET, ITOPS_ARTIFACTS_S3_ACCESS_KEY_ID and ITOPS_ARTIFACTS_S3_SECRET_ACCESS_KEY',
    ]);
  }
  return { config, warnings };
}
