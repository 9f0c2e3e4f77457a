import { fullFormats } from 'ajv-formats/dist/formats.js';

type FormatDefinition = { validate: (value: string) => boolean; compare?: (a: string, b: string) => number | undefined };
const reference = fullFormats['date-time'] as FormatDefinition;
const daysInMonth = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The value of `length` ASCII digits at `at`, or -1 if any is not a digit. */
function digits(text: string, at: number, length: number): number {
  let value = 0;
  for (let i = at; i < at + length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/**
 * Whether `text` is `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, a real calendar date and an ordinary
 * time of day (no leap second): the form nearly every client sends, checked without a regular
 * expression. Every string this accepts, ajv-formats' RFC 3339 check accepts too.
 */
function isPlainDateTime(text: string): boolean {
  const n = text.length;
  if (n < 20 || text[4] !== '-' || text[7] !== '-' || text[13] !== ':' || text[16] !== ':') return false;
  const separator = text[10];
  if (separator !== 'T' && separator !== 't' && separator !== ' ') return false;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : daysInMonth[month])) return false;
  let i = 19;
  if (text[i] === '.') {
    const start = ++i;
    while (i < n && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
    if (i === start) return false;
  }
  if (i === n - 1) return text[i] === 'Z' || text[i] === 'z';
  if (i !== n - 6 || (text[i] !== '+' && text[i] !== '-') || text[i + 3] !== ':') return false;
  const zoneHours = digits(text, i + 1, 2);
  const zoneMinutes = digits(text, i + 4, 2);
  return zoneHours >= 0 && zoneHours <= 23 && zoneMinutes >= 0 && zoneMinutes <= 59;
}

/**
 * JSON Schema's `date-time` as ajv-formats checks it (RFC 3339, time zone required), with the
 * common form checked first by hand: a telemetry batch carries a thousand timestamps, and the
 * regular expressions cost its request more than parsing its JSON. Anything else (leap seconds,
 * zones without a colon, malformed text) gets ajv-formats' own answer.
 */
export const dateTimeFormat: FormatDefinition = {
  validate: (text) => isPlainDateTime(text) || reference.validate(text),
  compare: reference.compare,
};
