import t from 'tap';
import { isoTimestamp } from './iso-timestamp.ts';

t.test('writes what toISOString writes', async (t) => {
  const edges = [
    '1970-01-01T00:00:00.000Z',
    '1999-12-31T23:59:59.999Z',
    '2000-02-29T12:00:00.001Z',
    '2024-02-29T23:59:59.999Z',
    '2024-03-01T00:00:00.000Z',
    '2100-02-28T00:00:00.000Z',
    '2100-03-01T00:00:00.000Z',
    '9999-12-31T23:59:59.999Z',
  ];
  for (const iso of edges) t.equal(isoTimestamp(new Date(iso)), iso, iso);
  // A seeded walk over the whole range, so a failure repeats.
  let seed = 42;
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  let differing = 0;
  for (let i = 0; i < 200_000; i++) {
    const date = new Date(Math.floor(next() * 253_402_300_800_000));
    if (isoTimestamp(date) !== date.toISOString()) differing++;
  }
  t.equal(differing, 0, '200,000 instants from 1970 to 9999');
});

t.test('leaves other instants to toISOString', async (t) => {
  for (const iso of ['1969-12-31T23:59:59.999Z', '0001-01-01T00:00:00.000Z', '+010000-01-01T00:00:00.000Z']) t.equal(isoTimestamp(new Date(iso)), iso, iso);
  t.throws(() => isoTimestamp(new Date('not a date')), RangeError, 'an invalid date throws as toISOString does');
});
