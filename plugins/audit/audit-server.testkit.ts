import type { Test } from 'tap';
import { startTestServer, type TestServer } from '../../core/plugin-api/testing.ts';
import { adminQuery } from '../../core/testing/test-database.ts';
import { probePlugin } from './audit-probe.testkit.ts';
import audit from './plugin.ts';

/**
 * A test server with the audit plugin recording one way (ITOPS_AUDIT_CAPTURE): `trigger` writes
 * records in the changing transaction, `wal` after commit from the WAL. WAL mode needs the test
 * server at wal_level = logical (the embedded test cluster is); elsewhere the test is planned empty,
 * saying why, and this answers undefined. `env` adds settings (ITOPS_JOBS_ENABLED=false: no round of
 * the node's own runs the consumer, the test does).
 */
export async function auditServer(t: Test, capture: 'trigger' | 'wal', env: Record<string, string> = {}): Promise<TestServer | undefined> {
  if (capture === 'wal') {
    const [{ wal_level }] = (await adminQuery('SHOW wal_level')).rows;
    if (wal_level !== 'logical') {
      t.plan(0, `the test server runs with wal_level = ${wal_level}; WAL mode needs logical (the embedded test cluster has it)`);
      return undefined;
    }
  }
  return startTestServer(t, { plugins: [audit, probePlugin], env: { ITOPS_AUDIT_CAPTURE: capture, ...env } });
}
