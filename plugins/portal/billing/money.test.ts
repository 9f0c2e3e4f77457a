import t from 'tap';
import { divideRounded, isCurrency, majorUnits, priceLine, totalsOf } from './money.ts';

t.test('line amounts and totals are exact integers, rounded half away from zero per line', async (t) => {
  // 3 × 19.99 = 59.97 net; 19 % tax = 11.3943 → 11.39
  t.same(priceLine({ description: 'Licence', quantity: 3, unitMinor: 1999, taxRateBp: 1900 }), {
    description: 'Licence',
    quantity: 3,
    unitMinor: 1999,
    taxRateBp: 1900,
    netMinor: 5997,
    taxMinor: 1139,
  });
  // 0.125 → half away from zero: 1 × 0.05 at 250 bp = 0.00125 … and a case that lands exactly on .5: 2 × 0.25 at 1000 bp = 0.05 exactly.
  t.equal(priceLine({ description: 'x', quantity: 1, unitMinor: 5, taxRateBp: 1000 }).taxMinor, 1, '0.5 cent rounds up');
  t.equal(priceLine({ description: 'x', quantity: 1, unitMinor: 4, taxRateBp: 1000 }).taxMinor, 0, '0.4 cent rounds down');
  t.equal(priceLine({ description: 'credit', quantity: -1, unitMinor: 5, taxRateBp: 1000 }).taxMinor, -1, 'a credit rounds away from zero too');
  t.equal(divideRounded(15n, 10n), 2n);
  t.equal(divideRounded(-15n, 10n), -2n);
  t.equal(divideRounded(14n, 10n), 1n);

  // Where floating point goes wrong: 0.1 + 0.2; ten lines of 0.10 sum to exactly 1.00.
  const tenDimes = totalsOf(Array.from({ length: 10 }, () => ({ description: 'dime', quantity: 1, unitMinor: 10, taxRateBp: 0 })));
  t.equal(tenDimes.totalMinor, 100);
  const mixed = totalsOf([
    { description: 'Support hours', quantity: 7, unitMinor: 9500, taxRateBp: 2000 },
    { description: 'Backup storage', quantity: 1, unitMinor: 1234, taxRateBp: 700 },
  ]);
  // 66500 + 13300 tax; 1234 + 86.38 → 86 tax
  t.match(mixed, { subtotalMinor: 67734, taxMinor: 13386, totalMinor: 81120 });
  // Large amounts keep every cent (the product would pass 2^53 as a float only beyond this, BigInt never loses it).
  const big = priceLine({ description: 'big', quantity: 1_000_000, unitMinor: 999_999_999, taxRateBp: 2500 });
  t.equal(big.netMinor, 999_999_999_000_000);
  t.equal(big.taxMinor, 249_999_999_750_000);
  t.throws(() => priceLine({ description: 'too big', quantity: 2_000_000_000, unitMinor: 999_999_999_999, taxRateBp: 0 }), RangeError);
});

t.test('currencies are ISO 4217 codes, shown in their own minor unit', async (t) => {
  t.ok(isCurrency('EUR'));
  t.ok(isCurrency('JPY'));
  t.notOk(isCurrency('XYZ'));
  t.notOk(isCurrency('eur'));
  t.equal(majorUnits(123456, 'EUR'), '1234.56');
  t.equal(majorUnits(5, 'EUR'), '0.05');
  t.equal(majorUnits(-5, 'EUR'), '-0.05');
  t.equal(majorUnits(1500, 'JPY'), '1500');
  t.equal(majorUnits(1500, 'KWD'), '1.500');
});
