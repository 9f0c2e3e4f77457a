/**
 * How a plugin page shows its rows. The console knows a plugin's rows only as JSON (a page is
 * declared as data: a list path and field names), so a cell is shaped by its field's name and its
 * value's form: a timestamp as a local time, a state as a badge, an object by its name.
 */

export type CellShape = { kind: 'time'; at: string } | { kind: 'badge'; text: string } | { kind: 'text'; text: string };

const isoDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/;
/** Fields whose values are states; styles.css colours the known ones (`badge-<value>`). */
const stateFields = new Set(['status', 'state', 'outcome', 'severity', 'health']);
/** What names an object, in order of preference (a principal's name, a service's display name, …). */
const nameKeys = ['name', 'displayName', 'title', 'label', 'key', 'id'];
const maxText = 120;

/** A plugin's field name as lowercase words: `occurredAt` → "occurred at", `service_id` → "service id". */
export function fieldWords(field: string): string {
  return field
    .replace(/_/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** `occurredAt` → "Occurred at", `service_id` → "Service id". */
export function columnTitle(field: string): string {
  const words = fieldWords(field);
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function clip(text: string): string {
  return text.length > maxText ? `${text.slice(0, maxText - 1)}…` : text;
}

function plain(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toLocaleString('en', { maximumFractionDigits: 3 });
  if (Array.isArray(value)) return value.map(plain).filter(Boolean).join(', ');
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const nameKey = nameKeys.find((key) => typeof record[key] === 'string' && record[key] !== '');
    // A principal-like object names its kind too, unless it is a person's: "deploy bot (api key)".
    if (nameKey)
      return typeof record.kind === 'string' && record.kind !== 'user' ? `${record[nameKey]} (${record.kind.replace(/_/g, ' ')})` : String(record[nameKey]);
    return Object.entries(record)
      .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
      .map(([k, v]) => `${fieldWords(k)}: ${plain(v)}`)
      .join(', ');
  }
  return String(value);
}

/** The cell of `field` for `value`. */
export function cellShape(field: string, value: unknown): CellShape {
  if (typeof value === 'string' && isoDateTime.test(value) && !Number.isNaN(Date.parse(value))) return { kind: 'time', at: value };
  if (typeof value === 'string' && value !== '' && stateFields.has(field)) return { kind: 'badge', text: value };
  return { kind: 'text', text: clip(plain(value)) };
}
