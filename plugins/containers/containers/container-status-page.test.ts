import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { containerWorld, eventually } from './containers.testkit.ts';

t.test('a status page component bound to a container follows its state and health', async (t) => {
  const { kernel, engine, get, byName, acmeOps } = await containerWorld(t);
  engine.add({ Id: 'web1', Name: 'shop-web-1', Health: 'healthy' });
  const web = await byName('shop-web-1');
  const created = await call(kernel, 'POST', '/api/v1/status/components', {
    headers: acmeOps.headers,
    body: { name: 'Shop', monitorType: 'container', monitorId: web.id },
  });
  t.equal(created.status, 201, created.text);
  const statusOf = async () => (await get('/api/v1/status/components')).json.data.find((c: any) => c.id === created.json.id)?.status;
  engine.containers.get('web1')!.Status = 'exited';
  engine.emit('web1', 'die', { exitCode: '1' });
  t.equal(
    await eventually(async () => ((await statusOf()) === 'major_outage' ? 'major_outage' : undefined)),
    'major_outage',
    'a stopped container is an outage',
  );
  engine.containers.get('web1')!.Status = 'running';
  engine.emit('web1', 'start');
  t.equal(await eventually(async () => ((await statusOf()) === 'operational' ? 'operational' : undefined)), 'operational', 'running again');
  engine.emit('web1', 'health_status: unhealthy');
  t.equal(await eventually(async () => ((await statusOf()) === 'major_outage' ? 'major_outage' : undefined)), 'major_outage', 'an unhealthy one too');
});
