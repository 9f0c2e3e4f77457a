import { createHash } from 'node:crypto';

/** What a badge says: the monitor's name, its state in one word, and that state's colour. */
export interface BadgeFace {
  label: string;
  message: string;
  color: string;
}

export const badgeColors = {
  up: '#4c1',
  late: '#fe7d37',
  down: '#e05d44',
  maintenance: '#007ec6',
  unknown: '#9f9f9f',
} as const;

// Advance widths of Verdana at 11 px (the font shields draws with), in tenths of a pixel: estimating
// every character at one width makes "mmm" spill out of its box and "iii" float in a wide one.
const narrow = new Set([..."fijlrtI!|.,:;'()[]{} "]);
const wide = new Set([...'mwMW@%']);
const upper = /[A-Z0-9#&?$=+<>~_-]/;

export function textWidth(text: string): number {
  let tenths = 0;
  for (const char of text) {
    if (narrow.has(char)) tenths += 39;
    else if (wide.has(char)) tenths += 107;
    else if (upper.test(char)) tenths += 75;
    else if (char.charCodeAt(0) > 0x2e7f) tenths += 110;
    else tenths += 66;
  }
  return Math.ceil(tenths / 10);
}

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);

/** A flat shields-style badge: grey label box, coloured message box, each 10 px wider than its text. */
export function badgeSvg(face: BadgeFace): string {
  const labelWidth = textWidth(face.label) + 10;
  const messageWidth = textWidth(face.message) + 10;
  const width = labelWidth + messageWidth;
  const label = escapeXml(face.label);
  const message = escapeXml(face.message);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20" role="img" aria-label="${label}: ${message}">`,
    `<title>${label}: ${message}</title>`,
    '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>',
    `<clipPath id="r"><rect width="${width}" height="20" rx="3" fill="#fff"/></clipPath>`,
    `<g clip-path="url(#r)"><rect width="${labelWidth}" height="20" fill="#555"/><rect x="${labelWidth}" width="${messageWidth}" height="20" fill="${face.color}"/><rect width="${width}" height="20" fill="url(#s)"/></g>`,
    '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">',
    `<text x="${labelWidth / 2}" y="14" fill="#010101" fill-opacity=".3">${label}</text><text x="${labelWidth / 2}" y="13">${label}</text>`,
    `<text x="${labelWidth + messageWidth / 2}" y="14" fill="#010101" fill-opacity=".3">${message}</text><text x="${labelWidth + messageWidth / 2}" y="13">${message}</text>`,
    '</g></svg>',
  ].join('');
}

/** Strong validator of a rendered badge, so a README proxy revalidates with a 304 instead of a download. */
export const etagOf = (body: string) => `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
