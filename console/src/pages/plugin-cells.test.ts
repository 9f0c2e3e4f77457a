import t from 'tap';
import { cellShape, columnTitle, fieldWords } from './plugin-cells.ts';

t.test('column titles read as words', async (t) => {
  t.equal(columnTitle('occurredAt'), 'Occurred at');
  t.equal(columnTitle('service_id'), 'Service id');
  t.equal(columnTitle('anomaly_score'), 'Anomaly score');
  t.equal(columnTitle('nodeId'), 'Node id');
  t.equal(columnTitle('title'), 'Title');
});

t.test('a cell is shaped by its value and its field', async (t) => {
  t.same(cellShape('occurredAt', '2026-12-07T09:35:04.531435Z'), { kind: 'time', at: '2026-12-07T09:35:04.531435Z' }, 'a timestamp, microseconds and all');
  t.same(cellShape('startedAt', '2026-12-07T10:35:04+01:00'), { kind: 'time', at: '2026-12-07T10:35:04+01:00' }, 'with an offset');
  t.same(cellShape('title', '2026-12-07 backup'), { kind: 'text', text: '2026-12-07 backup' }, 'a text that starts with a date stays text');
  t.same(cellShape('status', 'down'), { kind: 'badge', text: 'down' });
  t.same(cellShape('outcome', 'success'), { kind: 'badge', text: 'success' });
  t.same(cellShape('priority', 'urgent'), { kind: 'text', text: 'urgent' }, 'not every enum is a state');
  t.same(cellShape('principal', { kind: 'user', id: 'e64b', name: 'ada@example.test' }), { kind: 'text', text: 'ada@example.test' }, 'a person by name');
  t.same(cellShape('principal', { kind: 'api_key', id: 'k1', name: 'deploy bot' }), { kind: 'text', text: 'deploy bot (api key)' });
  t.same(cellShape('service', { id: 's1', displayName: 'Billing API' }), { kind: 'text', text: 'Billing API' });
  t.same(
    cellShape('limits', { cpu: 0.5, memoryMb: 512, nested: { a: 1 } }),
    { kind: 'text', text: 'cpu: 0.5, memory mb: 512' },
    'an unnamed object by its plain fields',
  );
  t.same(cellShape('tags', ['prod', 'eu']), { kind: 'text', text: 'prod, eu' });
  t.same(cellShape('resolved', false), { kind: 'text', text: 'no' });
  t.same(cellShape('anomaly_score', 0.912345), { kind: 'text', text: '0.912' });
  t.same(cellShape('count', 12000), { kind: 'text', text: '12000' });
  t.same(cellShape('assignee', null), { kind: 'text', text: '' });
  t.equal((cellShape('description', 'x'.repeat(500)) as { text: string }).text.length, 120, 'long text is cut');
});

t.test('field words: a counter or field name as lowercase words', async (t) => {
  t.equal(fieldWords('executionsFailed (24 h)'), 'executions failed (24 h)');
  t.equal(fieldWords('openTickets'), 'open tickets');
  t.equal(fieldWords('memory_mb'), 'memory mb');
});
