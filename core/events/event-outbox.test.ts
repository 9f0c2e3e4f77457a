import t from 'tap';
import { eventIdsOf } from './event-outbox.ts';

t.test('a notification names single ids and runs of consecutive ids', async (t) => {
  t.same(eventIdsOf('42'), ['42'], 'one event (publish)');
  t.same(eventIdsOf('17,20-23,30'), ['17', '20', '21', '22', '23', '30'], 'runs expand in order');
  t.same(eventIdsOf('9007199254740993-9007199254740994'), ['9007199254740993', '9007199254740994'], 'bigint ids keep every digit');
  t.same(eventIdsOf('5-5'), ['5'], 'a run of one');
});

t.test('a malformed notification names nothing rather than a wrong id', async (t) => {
  t.same(eventIdsOf(''), []);
  t.same(eventIdsOf('x,1-y,-3,4-'), []);
  t.same(eventIdsOf('7-5'), [], 'a run backwards is empty');
  t.same(eventIdsOf('1,abc,3'), ['1', '3'], 'the readable parts are kept');
});
