/**
 * A Prometheus remote-write body for tests and load scripts, encoded as Prometheus' prompb marshals
 * a WriteRequest (fields in number order), plus a metadata entry the receiver must skip.
 */

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}
const field = (number: number, wire: number) => varint(number * 8 + wire);
const lengthDelimited = (number: number, bytes: number[]) => [...field(number, 2), ...varint(bytes.length), ...bytes];
const utf8 = (s: string) => [...Buffer.from(s, 'utf8')];
function double(v: number): number[] {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return [...b];
}
export function writeRequest(series: { labels: Record<string, string>; samples: [number, number][] }[]): Uint8Array {
  const out: number[] = [];
  for (const s of series) {
    const ts: number[] = [];
    // Prometheus sorts labels by name, __name__ first.
    for (const name of Object.keys(s.labels).sort())
      ts.push(...lengthDelimited(1, [...lengthDelimited(1, utf8(name)), ...lengthDelimited(2, utf8(s.labels[name]))]));
    for (const [value, timestamp] of s.samples) ts.push(...lengthDelimited(2, [...field(1, 1), ...double(value), ...field(2, 0), ...varint(timestamp)]));
    out.push(...lengthDelimited(1, ts));
  }
  // A metadata entry (field 3), which the receiver skips.
  out.push(...lengthDelimited(3, [...field(1, 0), ...varint(1), ...lengthDelimited(2, utf8('http_requests_total'))]));
  return Uint8Array.from(out);
}
