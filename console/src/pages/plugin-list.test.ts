import t from 'tap';
import { listHeading, listOf } from './plugin-list.ts';

t.test('a list answer: its rows in any envelope, its page when it follows the list conventions', async (t) => {
  const page = { limit: 50, offset: 50, returned: 2, total: 52 };
  t.same(listOf({ data: [{ id: 1 }, { id: 2 }], page, sort: {}, filters: {} }), { rows: [{ id: 1 }, { id: 2 }], page });
  t.same(listOf({ anomalies: [{ anomaly_id: 'a' }], total: 1, page_token: null }), { rows: [{ anomaly_id: 'a' }] }, 'no page without the conventions');
  t.same(listOf([{ id: 1 }]), { rows: [{ id: 1 }] });
  t.same(listOf({ data: [], page: { limit: '50' } }), { rows: [] }, 'a page that is not one is ignored');
  t.same(listOf(null), { rows: [] });
});

t.test('the heading over the table reads as words', async (t) => {
  t.equal(listHeading('Tickets'), 'All tickets');
  t.equal(listHeading('Change events'), 'All change events');
  t.equal(listHeading('Audit trail'), 'Audit trail');
  t.equal(listHeading('Knowledge base'), 'Knowledge base');
});
