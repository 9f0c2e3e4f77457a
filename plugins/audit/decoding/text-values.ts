/**
 * A column's value as PostgreSQL's text output writes it (what `pgoutput` sends) turned into the
 * JSON value `row_to_json` gives for it, so a row read from the WAL diffs exactly like a row the
 * capture trigger read: booleans, numbers, JSON, arrays and ISO times as row_to_json writes them;
 * anything else (text, uuid, enums, intervals, bytea's `\x…`) as its text.
 */

/** What a column's type says about its values, from pg_type. */
export interface ColumnType {
  /** pg_type.typcategory: B boolean, N numeric, A array, D date/time, S string, U user-defined (json), … */
  category: string;
  name: string;
  /** For an array, its element's type. */
  element?: ColumnType;
}

export function jsonValue(text: string | null, type: ColumnType | undefined): unknown {
  if (text === null) return null;
  if (!type) return text;
  switch (type.category) {
    case 'B':
      return text === 't';
    case 'N':
      // NaN and ±Infinity: row_to_json quotes them (no JSON number spells them).
      return /^-?(\d|\.\d)/.test(text) ? Number(text) : text;
    case 'A':
      return type.element ? parseArray(text, type.element) : text;
    case 'D':
      return isoTime(text, type.name);
    default:
      return type.name === 'json' || type.name === 'jsonb' ? JSON.parse(text) : text;
  }
}

/**
 * ISO output (`2026-12-07 15:48:44.123+00`) as row_to_json writes it (`2026-12-07T15:48:44.123+00:00`):
 * a `T` between date and time, and a zone always with its minutes.
 */
function isoTime(text: string, typeName: string): string {
  if (typeName !== 'timestamptz' && typeName !== 'timestamp') return text;
  if (!/^\d{4,}-\d\d-\d\d \d/.test(text) || text.endsWith(' BC')) return text; // infinity, BC dates: as written
  const spaced = text.replace(' ', 'T');
  return typeName === 'timestamptz' && /[+-]\d\d$/.test(spaced) ? `${spaced}:00` : spaced;
}

/**
 * An array's text form (`{1,2}`, `{"a b",NULL}`, `{{1,2},{3,4}}`, `[0:1]={…}` for other lower
 * bounds) as nested arrays of its elements' JSON values.
 */
export function parseArray(text: string, element: ColumnType): unknown[] {
  const start = text.indexOf('{');
  let at = start;
  const parse = (): unknown[] => {
    const items: unknown[] = [];
    at++; // the opening brace
    if (text[at] === '}') {
      at++;
      return items;
    }
    // Bounded by the text: PostgreSQL writes these well formed, but a cut one must not loop forever.
    while (at < text.length) {
      if (text[at] === '{') items.push(parse());
      else if (text[at] === '"') {
        let value = '';
        at++;
        while (at < text.length && text[at] !== '"') {
          if (text[at] === '\\') at++;
          value += text[at++];
        }
        at++;
        items.push(jsonValue(value, element));
      } else {
        let end = at;
        while (end < text.length && text[end] !== ',' && text[end] !== '}') end++;
        const raw = text.slice(at, end);
        at = end;
        items.push(raw === 'NULL' ? null : jsonValue(raw, element));
      }
      if (text[at] === ',') at++;
      else {
        at++; // the closing brace
        return items;
      }
    }
    return items;
  };
  return parse();
}
