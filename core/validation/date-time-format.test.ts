import { fullFormats } from 'ajv-formats/dist/formats.js';
import t from 'tap';
import { dateTimeFormat } from './date-time-format.ts';

const reference = (fullFormats['date-time'] as { validate: (s: string) => boolean }).validate;

t.test('date-time answers as ajv-formats does, for the common form and every other', async (t) => {
  const samples = [
    '2026-12-05T21:40:00Z',
    '2026-12-05T21:40:00.123Z',
    '2026-12-05t21:40:00.1z',
    '2026-12-05 21:40:00+01:00',
    '2026-12-05T21:40:00-23:59',
    '2026-12-05T21:40:00+24:00',
    '2026-12-05T21:40:00+01:60',
    '2026-12-05T21:40:00+0100',
    '2026-12-05T21:40:00+01',
    '2026-12-05T21:40:00',
    '2026-12-05T21:40:00.Z',
    '2026-12-05T24:00:00Z',
    '2026-12-05T23:60:00Z',
    '2016-12-31T23:59:60Z',
    '2016-12-31T22:59:60-01:00',
    '2026-12-05T12:59:60Z',
    '2024-02-29T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2000-02-29T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-00-01T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-04-00T00:00:00Z',
    '0000-01-01T00:00:00Z',
    '2026-1-05T21:40:00Z',
    '2026-12-05X21:40:00Z',
    '2026-12-05T21:40:00Zjunk',
    '2026-12-05T21:40:00.123456789+05:30',
    '２０２６-12-05T21:40:00Z',
    '',
    'T',
  ];
  for (const s of samples) t.equal(dateTimeFormat.validate(s), reference(s), JSON.stringify(s));
});

t.test('random variations of a timestamp get ajv-formats answer', async (t) => {
  const alphabet = '0123456789-:.TtZz+ ';
  const base = '2024-02-29T23:59:59.999+05:30';
  let seed = 7;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  let disagreements = 0;
  for (let i = 0; i < 20_000; i++) {
    const chars = [...base.slice(0, 20 + random(base.length - 19))];
    for (let k = random(3); k >= 0; k--) chars[random(chars.length)] = alphabet[random(alphabet.length)];
    const s = chars.join('');
    if (dateTimeFormat.validate(s) !== reference(s)) disagreements++;
  }
  t.equal(disagreements, 0);
});
