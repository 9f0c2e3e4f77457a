import t from 'tap';
import { newAnomalyId } from './watchdog-round.ts';

t.test('anomaly ids do not repeat where 32 random bits did, and sort by creation time', async (t) => {
  t.match(newAnomalyId(), /^anom-[0-9a-f]{24}$/);
  // The Alertmanager bench stores ~40,000 anomalies a run; the old ids collided in about one run of five.
  const now = Date.now();
  const ids = new Set(Array.from({ length: 100_000 }, () => newAnomalyId(now)));
  t.equal(ids.size, 100_000, 'no duplicate among 100,000 made in the same millisecond');
  const earlier = newAnomalyId(now);
  const later = newAnomalyId(now + 1);
  t.ok(earlier < later, 'a later id sorts after an earlier one');
  t.ok(newAnomalyId(0) < newAnomalyId(2 ** 47), 'the time keeps its width');
});
