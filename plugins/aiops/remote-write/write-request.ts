/**
 * Prometheus remote-write 1.0: a snappy-compressed (block format) protobuf `prometheus.WriteRequest`
 * (prompb/remote.proto, types.proto):
 *   WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; exemplars = 3; histograms = 4; }
 *   Label        { string name = 1; string value = 2; }
 *   Sample       { double value = 1; int64 timestamp = 2; }   // milliseconds
 * A small decoder of exactly these fields: anything else (metadata, exemplars, native histograms,
 * fields added later) is skipped by wire type, as protobuf readers do.
 */
export interface RemoteSeries {
  labels: Record<string, string>;
  samples: { value: number; timestampMs: number }[];
}

export class ProtobufError extends Error {}

class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  varint(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufError('truncated varint');
      const byte = this.buf[this.pos++];
      // Numbers here stay below 2^53 (lengths, millisecond timestamps); multiply, not shift, past 31 bits.
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
    throw new ProtobufError('varint too long');
  }

  /** An int64 varint as a signed number (negative timestamps are 10-byte two's complement). */
  int64(): number {
    const start = this.pos;
    const value = this.varint();
    if (this.pos - start === 10 && value >= 2 ** 63) return value - 2 ** 64;
    return value;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new ProtobufError('truncated double');
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8);
    this.pos += 8;
    return view.getFloat64(0, true);
  }

  bytes(): [number, number] {
    const length = this.varint();
    const start = this.pos;
    if (start + length > this.end) throw new ProtobufError('truncated field');
    this.pos += length;
    return [start, start + length];
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.bytes();
    else if (wireType === 5) this.pos += 4;
    else throw new ProtobufError(`unsupported wire type ${wireType}`);
    if (this.pos > this.end) throw new ProtobufError('truncated field');
  }
}

const text = new TextDecoder('utf-8', { fatal: false });

export function decodeWriteRequest(buf: Uint8Array): RemoteSeries[] {
  const series: RemoteSeries[] = [];
  const r = new Reader(buf);
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag >>> 3 === 1 && (tag & 7) === 2) {
      const [start, end] = r.bytes();
      series.push(decodeTimeSeries(buf, start, end));
    } else r.skip(tag & 7);
  }
  return series;
}

function decodeTimeSeries(buf: Uint8Array, start: number, end: number): RemoteSeries {
  const s: RemoteSeries = { labels: {}, samples: [] };
  const r = new Reader(buf, start, end);
  while (r.pos < r.end) {
    const tag = r.varint();
    const field = tag >>> 3;
    if (field === 1 && (tag & 7) === 2) {
      const [a, b] = r.bytes();
      const l = new Reader(buf, a, b);
      let name = '';
      let value = '';
      while (l.pos < l.end) {
        const t = l.varint();
        if ((t & 7) !== 2) {
          l.skip(t & 7);
          continue;
        }
        const [x, y] = l.bytes();
        if (t >>> 3 === 1) name = text.decode(buf.subarray(x, y));
        else if (t >>> 3 === 2) value = text.decode(buf.subarray(x, y));
      }
      s.labels[name] = value;
    } else if (field === 2 && (tag & 7) === 2) {
      const [a, b] = r.bytes();
      const m = new Reader(buf, a, b);
      let value = 0;
      let timestampMs = 0;
      while (m.pos < m.end) {
        const t = m.varint();
        if (t >>> 3 === 1 && (t & 7) === 1) value = m.double();
        else if (t >>> 3 === 2 && (t & 7) === 0) timestampMs = m.int64();
        else m.skip(t & 7);
      }
      s.samples.push({ value, timestampMs });
    } else r.skip(tag & 7);
  }
  return s;
}
