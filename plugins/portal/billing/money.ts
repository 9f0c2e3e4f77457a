/**
 * Money in integer minor units (cents), never floating point: each line's net is quantity × unit
 * price, its tax the net × the rate in basis points (1/100 of a percent) rounded half away from zero
 * to the minor unit, per line (as invoices print it), and the totals are sums of those integers.
 * Arithmetic runs on BigInt so no intermediate product loses a cent, whatever the amounts.
 */
export interface LineInput {
  description: string;
  quantity: number;
  unitMinor: number;
  /** Tax rate in basis points: 2000 = 20 %. */
  taxRateBp: number;
}

export interface PricedLine extends LineInput {
  netMinor: number;
  taxMinor: number;
}

export interface Totals {
  lines: PricedLine[];
  subtotalMinor: number;
  taxMinor: number;
  totalMinor: number;
}

const basisPoints = 10_000n;

/** `value / divisor` rounded half away from zero, in integers. */
export function divideRounded(value: bigint, divisor: bigint): bigint {
  const sign = value < 0n ? -1n : 1n;
  const magnitude = value * sign;
  return sign * ((magnitude * 2n + divisor) / (divisor * 2n));
}

const safe = (value: bigint, what: string): number => {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) throw new RangeError(`${what} is too large`);
  return Number(value);
};

export function priceLine(line: LineInput): PricedLine {
  const net = BigInt(line.quantity) * BigInt(line.unitMinor);
  const tax = divideRounded(net * BigInt(line.taxRateBp), basisPoints);
  return { ...line, netMinor: safe(net, 'A line amount'), taxMinor: safe(tax, 'A line tax') };
}

export function totalsOf(lines: LineInput[]): Totals {
  const priced = lines.map(priceLine);
  const subtotal = priced.reduce((sum, line) => sum + BigInt(line.netMinor), 0n);
  const tax = priced.reduce((sum, line) => sum + BigInt(line.taxMinor), 0n);
  return { lines: priced, subtotalMinor: safe(subtotal, 'The subtotal'), taxMinor: safe(tax, 'The tax'), totalMinor: safe(subtotal + tax, 'The total') };
}

const currencies = new Set(Intl.supportedValuesOf('currency'));

/** ISO 4217 codes as the runtime's ICU knows them (e.g. EUR, USD, JPY). */
export const isCurrency = (code: string) => currencies.has(code);

/** Digits after the decimal point of a currency's minor unit (JPY 0, EUR 2, KWD 3). */
export const minorDigits = (currency: string) => new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;

/** An amount in minor units as a decimal string of the major unit, exactly (for exports): 123456 EUR → "1234.56". */
export function majorUnits(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  const negative = minor < 0;
  const text = String(Math.abs(minor)).padStart(digits + 1, '0');
  const whole = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  return negative ? `-${whole}` : whole;
}
