/**
 * A node of its own for the crash test: boots a kernel with the automation plugin against the
 * database named in DATABASE_URL (the test's), prints `ready`, and runs workflow jobs until it is
 * killed. Run with tsx; the test kills it with SIGKILL mid-step.
 */
import { startTestKernel } from '../../../core/plugin-api/testing.ts';
import { adminEmail, adminPassword, jwtSecret } from '../../../core/testing/identity-fixtures.ts';
import automation from '../plugin.ts';

await startTestKernel(
  { teardown: () => undefined },
  {
    databaseUrl: process.env.DATABASE_URL as string,
    plugins: [automation],
    env: {
      ITOPS_ADMIN_EMAIL: adminEmail,
      ITOPS_ADMIN_PASSWORD: adminPassword,
      ITOPS_JWT_SECRET: jwtSecret,
      ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS: 'true',
      ITOPS_AUTOMATION_LEASE_SECONDS: '1',
      ITOPS_AUTOMATION_RESUME_AFTER_SECONDS: '1',
      ITOPS_AUTOMATION_SWEEP_INTERVAL_MS: '200',
    },
  },
);
process.stdout.write('ready\n');
