import t from 'tap';
import slaPlugin from '../../sla/plugin.ts';
import { startAutomation } from '../automation.testkit.ts';

t.test("the SLA plugin's sla.open_exclusion_window runs through execute with the operator API's rules", async (t) => {
  const w = await startAutomation(t, { plugins: [slaPlugin] });
  const node = 'myorg/platform/prod/cluster1';
  const reported = await w.write('POST', '/api/v1/health/report', w.acmeAdmin, { service: 'postgresql', nodeId: node, status: 'OPERATIONAL' });
  t.equal(reported.status < 300, true, reported.text);

  const input = { service: 'postgresql', nodeId: node, reason: 'kernel patching' };
  const opened = await w.write('POST', '/api/v1/execute/sla.open_exclusion_window', w.acmeOperator, { input });
  t.equal(opened.status, 200, opened.text);
  t.match(opened.json, {
    executor: 'builtin',
    status: 'succeeded',
    result: { success: true, window: { service: 'postgresql', reason: 'kernel patching', active: true } },
  });
  const windows = await w.read('/api/v1/sla/exclusion-windows?active=true', w.acmeAdmin);
  t.match(windows.json, { page: { total: 1 }, data: [{ service: 'postgresql', active: true }] });

  const again = await w.write('POST', '/api/v1/execute/sla.open_exclusion_window', w.acmeOperator, { input });
  t.match(again.json, { status: 'failed', failureCode: 'conflict', failureMessage: /already has an active exclusion window/ }, 'one active window per service');
  const unknown = await w.write('POST', '/api/v1/execute/sla.open_exclusion_window', w.acmeOperator, { input: { service: 'nope' } });
  t.match(unknown.json, { status: 'failed', failureCode: 'not_found' });
  t.equal((await w.write('POST', '/api/v1/execute/sla.open_exclusion_window', w.acmeOperator, { input: { service: 'bad name!' } })).status, 400);
  const foreign = await w.write('POST', '/api/v1/execute/sla.open_exclusion_window', w.globexAdmin, { input });
  t.match(foreign.json, { status: 'failed', failureCode: 'not_found' }, "another workspace's service is not found");
});
