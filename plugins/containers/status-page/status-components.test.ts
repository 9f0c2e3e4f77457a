import t from 'tap';
import { observe } from './status-components.ts';

const event = (topic: string, payload: unknown, tenantId: string | null = 'acme') => ({
  id: '7',
  topic,
  tenantId,
  payload,
  createdAt: '2025-06-01T00:00:00.000Z',
});
const id = '6f1c1a3e-3f1b-4a39-9d3e-0b6f7f1c2a10';

t.test('statuses read from each feature’s events', async (t) => {
  const cases: [string, Record<string, unknown>, string, string, string][] = [
    ['heartbeat.pinged', { heartbeatId: id, status: 'up', receivedAt: '2025-06-01T01:00:00Z' }, 'heartbeat', 'operational', '2025-06-01T01:00:00.000Z'],
    ['heartbeat.pinged', { heartbeatId: id, status: 'late', receivedAt: '2025-06-01T01:00:00Z' }, 'heartbeat', 'degraded', '2025-06-01T01:00:00.000Z'],
    ['heartbeat.pinged', { heartbeatId: id, status: 'paused', receivedAt: '2025-06-01T01:00:00Z' }, 'heartbeat', 'paused', '2025-06-01T01:00:00.000Z'],
    ['heartbeat.pinged', { heartbeatId: id, status: 'new', receivedAt: '2025-06-01T01:00:00Z' }, 'heartbeat', 'unknown', '2025-06-01T01:00:00.000Z'],
    ['heartbeat.deadline_missed', { heartbeatId: id, status: 'down', downAt: '2025-06-01T02:00:00Z' }, 'heartbeat', 'major_outage', '2025-06-01T02:00:00.000Z'],
    [
      'heartbeat.paused',
      { heartbeatId: id, status: 'paused', previousStatus: 'up', at: '2025-06-01T02:30:00Z' },
      'heartbeat',
      'paused',
      '2025-06-01T02:30:00.000Z',
    ],
    [
      'heartbeat.resumed',
      { heartbeatId: id, status: 'new', previousStatus: 'paused', at: '2025-06-01T02:40:00Z' },
      'heartbeat',
      'unknown',
      '2025-06-01T02:40:00.000Z',
    ],
    ['heartbeat.deleted', { heartbeatId: id, previousStatus: 'down', at: '2025-06-01T02:50:00Z' }, 'heartbeat', 'unknown', '2025-06-01T02:50:00.000Z'],
    [
      'endpoint.check_result',
      { endpointId: id, ok: true, status: 'up', checkedAt: '2025-06-01T03:00:00Z' },
      'endpoint',
      'operational',
      '2025-06-01T03:00:00.000Z',
    ],
    [
      'endpoint.check_result',
      { endpointId: id, ok: false, status: 'pending', checkedAt: '2025-06-01T03:00:00Z' },
      'endpoint',
      'unknown',
      '2025-06-01T03:00:00.000Z',
    ],
    ['endpoint.alert', { endpointId: id, status: 'down', downSince: '2025-06-01T04:00:00Z' }, 'endpoint', 'major_outage', '2025-06-01T04:00:00.000Z'],
    ['endpoint.recovery', { endpointId: id, status: 'up', recoveredAt: '2025-06-01T05:00:00Z' }, 'endpoint', 'operational', '2025-06-01T05:00:00.000Z'],
    ['container.state_changed', { containerId: 'web-1', state: 'exited', at: '2025-06-01T06:00:00Z' }, 'container', 'major_outage', '2025-06-01T06:00:00.000Z'],
    ['container.health_changed', { containerId: 'web-1', health: 'healthy' }, 'container', 'operational', '2025-06-01T00:00:00.000Z'],
    ['service:status_changed', { serviceId: id, status: 'DOWN', at: '2025-06-01T07:00:00Z' }, 'sla_service', 'major_outage', '2025-06-01T07:00:00.000Z'],
    ['service:status_changed', { serviceId: id, status: 'MAINTENANCE', at: '2025-06-01T07:00:00Z' }, 'sla_service', 'maintenance', '2025-06-01T07:00:00.000Z'],
  ];
  for (const [topic, payload, monitorType, status, at] of cases) {
    const o = observe(event(topic, payload));
    t.same(
      o && { ...o, at: o.at.toISOString() },
      {
        tenantId: 'acme',
        monitorType,
        monitorId: (payload.heartbeatId ?? payload.endpointId ?? payload.containerId ?? payload.serviceId) as string,
        status,
        at,
      },
      `${topic} ${JSON.stringify(payload)}`,
    );
  }
});

t.test('events that say nothing readable are ignored', async (t) => {
  t.equal(observe(event('heartbeat.pinged', { heartbeatId: id, status: 'sleepy' })), undefined, 'unknown status');
  t.equal(observe(event('heartbeat.pinged', { status: 'up' })), undefined, 'no id');
  t.equal(observe(event('heartbeat.paused', { heartbeatId: id, status: 'sleepy' })), undefined, 'unknown status of a pause');
  t.equal(observe(event('heartbeat.deleted', { previousStatus: 'up' })), undefined, 'a deletion without id');
  t.equal(observe(event('heartbeat.pinged', { heartbeatId: id, status: 'up' }, null)), undefined, 'no workspace');
  t.equal(observe(event('sla:incident', { serviceId: id, status: 'DOWN' })), undefined, 'other topics');
  t.equal(observe(event('service:status_changed', 'DOWN')), undefined, 'not an object');
});
