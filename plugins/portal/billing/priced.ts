import { AppError } from '../../../core/plugin-api/index.ts';
import { isCurrency, type LineInput, type Totals, totalsOf } from './money.ts';

/** Lines as the contract sends them (tax rate optional), priced; a currency ICU does not know is refused. */
export function priced(currency: string, lines: (Omit<LineInput, 'taxRateBp'> & { taxRateBp?: number })[]): Totals {
  if (!isCurrency(currency)) {
    throw new AppError('validation_failed', `${currency} is not an ISO 4217 currency code`, {
      details: [{ path: '/body/currency', message: 'unknown currency' }],
    });
  }
  return totalsOf(lines.map((line) => ({ ...line, taxRateBp: line.taxRateBp ?? 0 })));
}

export const iso = (value: Date | string | null) => (value ? new Date(value).toISOString() : null);

/** PostgreSQL's bigint arrives as a string; amounts stay below 2^53 by the contract's bounds. */
export const minor = (value: string | number) => Number(value);
