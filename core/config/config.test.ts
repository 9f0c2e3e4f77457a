import t from 'tap';
import { ConfigError, loadConfig } from './config.ts';

t.test('defaults make an empty environment work', async (t) => {
  const { config, warnings } = loadConfig({});
  t.equal(config.port, 3000);
  t.equal(config.env, 'development');
  t.equal(config.databaseUrl, undefined);
  t.match(config.dataDir, /\.data$/);
  t.equal(config.bodyLimitBytes, 1048576);
  t.same(config.plugins, []);
  t.same(warnings, []);
});

t.test('values are coerced and lists split', async (t) => {
  const { config } = loadConfig({ ITOPS_PORT: '8080', ITOPS_PLUGINS: ' ./a , pkg-b ', ITOPS_JOBS_ENABLED: 'false', DATABASE_URL: 'postgres://u@h/db' });
  t.equal(config.port, 8080);
  t.same(config.plugins, ['./a', 'pkg-b']);
  t.equal(config.jobsEnabled, false);
  t.equal(config.databaseUrl, 'postgres://u@h/db');
});

t.test('PORT applies when ITOPS_PORT is not set; ITOPS_PORT wins', async (t) => {
  t.equal(loadConfig({ PORT: '4000' }).config.port, 4000);
  t.equal(loadConfig({ PORT: '4000', ITOPS_PORT: '5000' }).config.port, 5000);
});

t.test('every problem is reported at once, one line each', async (t) => {
  const error = t.throws(() =>
    loadConfig({ ITOPS_PORT: 'eighty', ITOPS_LOG_LEVEL: 'loud', ITOPS_JWT_SECRET: 'short', DATABASE_URL: 'mysql://x' }),
  ) as ConfigError;
  t.ok(error instanceof ConfigError);
  t.equal(error.problems.length, 4);
  t.match(error.message, /ITOPS_PORT must be integer \(got "eighty"\)/);
  t.match(error.message, /ITOPS_LOG_LEVEL must be equal to one of the allowed values/);
  t.match(error.message, /ITOPS_JWT_SECRET must NOT have fewer than 32 characters/);
  t.match(error.message, /DATABASE_URL must match pattern/);
});

t.test('production requires a JWT secret', async (t) => {
  t.throws(() => loadConfig({ NODE_ENV: 'production' }), { message: /ITOPS_JWT_SECRET is required when NODE_ENV=production/ });
  t.doesNotThrow(() => loadConfig({ NODE_ENV: 'production', ITOPS_JWT_SECRET: 'x'.repeat(32) }));
});

t.test('unknown ITOPS_ variables are warned about', async (t) => {
  const { warnings } = loadConfig({ ITOPS_PROT: '1', OTHER: 'x' });
  t.same(warnings, ['unknown configuration variable ITOPS_PROT is ignored']);
});
