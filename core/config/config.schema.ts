/**
 * Every environment variable the platform reads, as one JSON schema: defaults live here and
 * nowhere else, and the README's configuration table is written from the same descriptions.
 */
export const configVariables = {
  NODE_ENV: {
    type: 'string',
    enum: ['development', 'production', 'test'],
    default: 'development',
    description: 'Runtime mode; `production` requires ITOPS_JWT_SECRET.',
  },
  PORT: { type: 'integer', minimum: 0, maximum: 65535, description: 'HTTP port (alias of ITOPS_PORT; ITOPS_PORT wins).' },
  ITOPS_PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 3000, description: 'HTTP port; 0 picks a free port.' },
  ITOPS_HOST: { type: 'string', minLength: 1, default: '0.0.0.0', description: 'Address the HTTP server binds to.' },
  ITOPS_PUBLIC_URL: {
    type: 'string',
    format: 'uri',
    description:
      'External base URL of every link the API returns; unset, links use the address each request reached (outside a request: http://localhost:<port>).',
  },
  DATABASE_URL: {
    type: 'string',
    pattern: '^postgres(ql)?://',
    description:
      "PostgreSQL connection string. Unset: an embedded PostgreSQL is started under the data directory. On a server of your own, set log_min_error_statement = panic if its log must hold no row values: a transaction's first statement carries its values in its text.",
  },
  ITOPS_DATA_DIR: {
    type: 'string',
    minLength: 1,
    default: './.data',
    description: 'Where the embedded database, generated secrets and other local state live.',
  },
  ITOPS_EMBEDDED_DB_PORT: {
    type: 'integer',
    minimum: 1,
    maximum: 65535,
    default: 54329,
    description:
      'Port of the embedded PostgreSQL (only without DATABASE_URL): tools connect over TCP on 127.0.0.1; the platform itself uses its unix socket in the data directory.',
  },
  ITOPS_EMBEDDED_DB_WAL_LEVEL: {
    type: 'string',
    enum: ['replica', 'logical'],
    default: 'replica',
    description:
      'wal_level of the embedded PostgreSQL. `logical` lets the audit plugin read its records from the WAL (ITOPS_AUDIT_CAPTURE=wal) and bounds what a slot keeps at 4 GB (max_slot_wal_keep_size); it makes every UPDATE and DELETE write its old row to the WAL. Once a logical slot exists the server will not start at `replica`: drop the slot first.',
  },
  ITOPS_DATABASE_REPLICA_URL: {
    type: 'string',
    pattern: '^postgres(ql)?://',
    description:
      'A streaming read replica of the database (same roles and schema, kept by PostgreSQL replication). Set, reads that tolerate staleness (the dashboard summary, and what plugins read through forTenantStaleReads) go there while it is in recovery and caught up; otherwise, and unset, they run on the primary.',
  },
  ITOPS_DATABASE_REPLICA_MAX_LAG_MS: {
    type: 'integer',
    minimum: 100,
    maximum: 3600000,
    default: 5000,
    description:
      'How far behind the primary the read replica may be (time since it last had everything the primary had written) before its reads go to the primary instead.',
  },
  ITOPS_DB_POOL_SIZE: { type: 'integer', minimum: 1, maximum: 200, default: 10, description: 'Connections in the ORM pool per process.' },
  ITOPS_JWT_SECRET: {
    type: 'string',
    minLength: 32,
    description: 'HS256 secret for access tokens, at least 32 characters; required when NODE_ENV=production.',
  },
  ITOPS_LOG_LEVEL: { type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info', description: 'pino log level.' },
  ITOPS_WORKER_THREADS: {
    type: 'integer',
    minimum: 1,
    maximum: 64,
    description: 'Size of the worker pool for CPU-heavy tasks; default: CPU count, at most 4.',
  },
  ITOPS_WORKER_WARM_THREADS: {
    type: 'integer',
    minimum: 0,
    maximum: 64,
    default: 1,
    description:
      'Worker threads started with the process and kept while idle, so the first CPU-heavy task does not wait for a thread to load; 0 starts them on demand (tests, short-lived processes).',
  },
  ITOPS_BODY_LIMIT_BYTES: {
    type: 'integer',
    minimum: 1024,
    maximum: 104857600,
    default: 1048576,
    description: 'Largest accepted request body; larger ones get 413.',
  },
  ITOPS_HTTP_REQUEST_TIMEOUT_MS: {
    type: 'integer',
    minimum: 100,
    maximum: 3600000,
    default: 30000,
    description: 'How long a client may take to send a whole request (headers and body); a slower one gets 408 and is disconnected.',
  },
  ITOPS_HTTP_HEADERS_TIMEOUT_MS: {
    type: 'integer',
    minimum: 100,
    maximum: 600000,
    default: 10000,
    description: 'How long a client may take to send the request headers; at most ITOPS_HTTP_REQUEST_TIMEOUT_MS.',
  },
  ITOPS_HTTP_KEEP_ALIVE_TIMEOUT_MS: {
    type: 'integer',
    minimum: 0,
    maximum: 600000,
    default: 65000,
    description:
      'How long an idle keep-alive connection stays open for its next request. Longer than the idle timeout of the proxy or load balancer in front (60 s on most), so that they, not we, close an idle connection: a close from this side can cross a request they just sent on it, which then fails.',
  },
  ITOPS_HTTP_MAX_UNFINISHED_REQUESTS_PER_ADDRESS: {
    type: 'integer',
    minimum: 1,
    maximum: 100000,
    default: 32,
    description:
      'Requests one client address may have still arriving (body not complete) at once; more get 429. Behind a reverse proxy every client shares its address: raise this or cap at the proxy.',
  },
  ITOPS_GRAPHQL_MAX_DEPTH: {
    type: 'integer',
    minimum: 1,
    maximum: 100,
    default: 12,
    description: 'Deepest selection nesting a GraphQL operation may have (fragments followed); deeper ones are refused with query_too_complex.',
  },
  ITOPS_GRAPHQL_MAX_COST: {
    type: 'integer',
    minimum: 1,
    maximum: 1000000,
    default: 10000,
    description: 'Largest cost of a GraphQL operation: every field counts 1 per alias, list fields multiply what they select by ITOPS_GRAPHQL_LIST_FACTOR.',
  },
  ITOPS_GRAPHQL_LIST_FACTOR: {
    type: 'integer',
    minimum: 1,
    maximum: 1000,
    default: 10,
    description: 'Items a list field is assumed to return when a GraphQL operation is costed.',
  },
  ITOPS_GRAPHQL_INTROSPECTION: {
    type: 'boolean',
    description: 'Answer GraphQL introspection queries (__schema, __type); default: on, off when NODE_ENV=production.',
  },
  ITOPS_PLUGINS: { type: 'string', default: '', description: 'Comma-separated third-party plugins to load: folder paths or npm package names.' },
  ITOPS_DISABLED_PLUGINS: { type: 'string', default: '', description: 'Comma-separated plugin ids that stay off even when discovered and licensed.' },
  ITOPS_SHUTDOWN_TIMEOUT_MS: {
    type: 'integer',
    minimum: 0,
    maximum: 600000,
    default: 10000,
    description: 'How long shutdown waits for in-flight requests and jobs.',
  },
  ITOPS_ACCESS_TOKEN_TTL_SECONDS: { type: 'integer', minimum: 60, maximum: 86400, default: 3600, description: 'Lifetime of access tokens (JWT).' },
  ITOPS_REFRESH_TOKEN_TTL_DAYS: {
    type: 'integer',
    minimum: 1,
    maximum: 365,
    default: 30,
    description: 'Lifetime of refresh tokens; each use rotates the token.',
  },
  ITOPS_ADMIN_EMAIL: {
    type: 'string',
    format: 'email',
    description: 'With ITOPS_ADMIN_PASSWORD: creates the first platform admin at boot when no user exists.',
  },
  ITOPS_ADMIN_PASSWORD: { type: 'string', minLength: 12, description: 'Password of that first platform admin (at least 12 characters).' },
  ITOPS_MASTER_KEY: {
    type: 'string',
    pattern: '^[A-Za-z0-9+/_-]{43}=?$',
    description:
      'Master key of the secrets store: 32 random bytes in base64 (`openssl rand -base64 32`); required when NODE_ENV=production. Unset in development: one is generated into the data directory (mode 0600).',
  },
  ITOPS_MASTER_KEY_PREVIOUS: {
    type: 'string',
    default: '',
    description: 'Comma-separated earlier master keys, only to read secrets they still wrap during a rotation (`npm run secrets -- rotate-master-key`).',
  },
  ITOPS_LICENSE_KEY: { type: 'string', minLength: 20, description: 'License token (Ed25519-signed JWS from `npm run license -- issue`), validated at boot.' },
  ITOPS_LICENSE_PUBLIC_KEYS: {
    type: 'string',
    default: '',
    description: 'Comma-separated trusted license public keys (base64url raw Ed25519, from `npm run license -- keygen`).',
  },
  ITOPS_TRUST_PROXY: {
    type: 'boolean',
    default: false,
    description: 'Trust X-Forwarded-For/-Proto from a reverse proxy (client addresses for rate limits and logs).',
  },
  ITOPS_SECURITY_WEBHOOK_HOST_ALLOWLIST: {
    type: 'string',
    default: '',
    description: 'Comma-separated host names that outbound calls (webhooks, channels, workflow steps) may reach even on private addresses.',
  },
  ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS: {
    type: 'boolean',
    default: false,
    description: 'Development only: lift the private-address block of outbound calls entirely.',
  },
  ITOPS_WEBHOOK_RETRY_BASE_SECONDS: {
    type: 'integer',
    minimum: 1,
    maximum: 3600,
    default: 10,
    description: 'First retry delay of a failed webhook delivery; doubles per attempt (6 attempts), unless the receiver sends Retry-After.',
  },
  ITOPS_EVENT_RETENTION_DAYS: {
    type: 'integer',
    minimum: 1,
    maximum: 3650,
    default: 30,
    description:
      'Days the event outbox keeps published events, and webhook history its delivered deliveries (an hourly job removes older ones; failed and pending deliveries and their events stay).',
  },
  ITOPS_SMTP_HOST: {
    type: 'string',
    maxLength: 253,
    description: 'SMTP relay that e-mail notification channels send through; e-mail channels fail until it is set.',
  },
  ITOPS_SMTP_PORT: {
    type: 'integer',
    minimum: 1,
    maximum: 65535,
    default: 587,
    description: 'Port of the SMTP relay (587 submission with STARTTLS, 465 implicit TLS).',
  },
  ITOPS_SMTP_SECURE: {
    type: 'boolean',
    default: false,
    description: 'Implicit TLS from the first byte (port 465); false upgrades with STARTTLS when the relay offers it.',
  },
  ITOPS_SMTP_USER: { type: 'string', default: '', description: 'User name for SMTP authentication (empty: no authentication).' },
  ITOPS_SMTP_PASSWORD: { type: 'string', default: '', description: 'Password for SMTP authentication.' },
  ITOPS_SMTP_FROM: { type: 'string', default: 'itops <itops@localhost>', description: 'From address of notification e-mails.' },
  ITOPS_ARTIFACTS_S3_ENDPOINT: {
    type: 'string',
    format: 'uri',
    maxLength: 2000,
    description:
      'S3-compatible store for job artifacts (exports, import error reports), e.g. https://s3.eu-west-1.amazonaws.com or a MinIO URL; objects are addressed path-style. Unset: local disk under the data directory.',
  },
  ITOPS_ARTIFACTS_S3_BUCKET: { type: 'string', maxLength: 63, description: 'Bucket of the artifact store (required with ITOPS_ARTIFACTS_S3_ENDPOINT).' },
  ITOPS_ARTIFACTS_S3_REGION: {
    type: 'string',
    maxLength: 64,
    default: 'us-east-1',
    description: 'Region the artifact store signs its requests for (AWS Signature V4).',
  },
  ITOPS_ARTIFACTS_S3_ACCESS_KEY_ID: {
    type: 'string',
    maxLength: 200,
    description: 'Access key id of the artifact store (required with ITOPS_ARTIFACTS_S3_ENDPOINT).',
  },
  ITOPS_ARTIFACTS_S3_SECRET_ACCESS_KEY: {
    type: 'string',
    maxLength: 500,
    description: 'Secret access key of the artifact store (required with ITOPS_ARTIFACTS_S3_ENDPOINT).',
  },
  ITOPS_JOBS_POOL_SIZE: {
    type: 'integer',
    minimum: 1,
    maximum: 100,
    default: 4,
    description: 'Connections of the job queue (pg-boss) per process: fetching, completing and queueing jobs; raise it for job-heavy nodes (workflows).',
  },
  ITOPS_JOBS_ENABLED: { type: 'boolean', default: true, description: 'Run job workers in this process (false: this node only serves HTTP).' },
} as const;

export type ConfigVariable = keyof typeof configVariables;
