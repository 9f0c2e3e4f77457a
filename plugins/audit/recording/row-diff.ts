import type { RowChange } from '../../../core/plugin-api/index.ts';
import { isSecretField, redact, redacted } from './redaction.ts';

/** One row's change as recorded: only the fields that changed, secrets redacted. */
export interface FieldDiff {
  table: string;
  op: RowChange['op'];
  /** The row's key (`id`, or its `*_id` columns), so a reader can find it. */
  key: Record<string, unknown>;
  fields: Record<string, { before?: unknown; after?: unknown }>;
}

/** Columns every tenant-scoped row has and no reader needs in a diff. */
const ignored = new Set(['tenant_id']);

export function rowDiff(change: RowChange, secretFields: ReadonlySet<string>): FieldDiff {
  const before = change.before ?? {};
  const after = change.after ?? {};
  const fields: FieldDiff['fields'] = {};
  for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (ignored.has(name)) continue;
    const had = name in before && change.before !== null;
    const has = name in after && change.after !== null;
    if (had && has && JSON.stringify(before[name]) === JSON.stringify(after[name])) continue;
    const secret = isSecretField(name, secretFields);
    const entry: { before?: unknown; after?: unknown } = {};
    if (had) entry.before = secret ? redacted : redact(before[name], secretFields);
    if (has) entry.after = secret ? redacted : redact(after[name], secretFields);
    fields[name] = entry;
  }
  return { table: change.table, op: change.op, key: rowKey(change.after ?? change.before ?? {}, secretFields), fields };
}

function rowKey(row: Record<string, unknown>, secretFields: ReadonlySet<string>): Record<string, unknown> {
  if ('id' in row) return { id: row.id };
  const key: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(row)) {
    if (name !== 'tenant_id' && (name.endsWith('_id') || name === 'key') && !isSecretField(name, secretFields)) key[name] = value;
  }
  return key;
}

/** `table:id` of the first changed row, the record's target when the request path says less. */
export function firstTarget(diffs: FieldDiff[]): string | undefined {
  const first = diffs[0];
  if (!first) return undefined;
  const values = Object.values(first.key);
  return values.length > 0 ? `${first.table}:${values.join('/')}` : first.table;
}
