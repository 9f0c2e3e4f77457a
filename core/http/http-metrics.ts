import type { Registry } from 'prom-client';

const buckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** One (method, operation, status)'s figures: plain numbers, turned into samples only when scraped. */
interface Series {
  method: string;
  operation: string;
  status: string;
  requests: number;
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  perBucket: number[];
  sum: number;
}

interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** What prom-client's registry reads from a metric it holds (the shape of its own metrics' get()). */
interface RegistryMetric {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }>;
  reset(): void;
}

/**
 * Request counters and latency per operation (never per raw path: ids would explode the series).
 * Counted in plain numbers per series on the request path and exposed to prom-client's registry as
 * `itops_http_requests_total` and `itops_http_request_duration_seconds`, formatted only when
 * scraped: prom-client's own histogram rebuilds and hashes the label set on every observation.
 */
export class HttpMetrics {
  private readonly series = new Map<string, Series>();

  constructor(registry: Registry) {
    const metric = (name: string, help: string, type: RegistryMetric['type'], values: () => Sample[]): RegistryMetric => ({
      name,
      help,
      type,
      aggregator: 'sum',
      get: async () => ({ name, help, type, aggregator: 'sum', values: values() }),
      reset: () => this.series.clear(),
    });
    registry.registerMetric(
      metric('itops_http_requests_total', 'HTTP requests by operation and status', 'counter', () => this.requestSamples()) as unknown as Parameters<
        Registry['registerMetric']
      >[0],
    );
    registry.registerMetric(
      metric('itops_http_request_duration_seconds', 'HTTP request duration by operation', 'histogram', () => this.durationSamples()) as unknown as Parameters<
        Registry['registerMetric']
      >[0],
    );
  }

  observe(method: string, operation: string, status: number, seconds: number): void {
    const key = `${method} ${operation} ${status}`;
    let series = this.series.get(key);
    if (!series) {
      series = { method, operation, status: String(status), requests: 0, perBucket: new Array(buckets.length + 1).fill(0), sum: 0 };
      this.series.set(key, series);
    }
    series.requests += 1;
    series.sum += seconds;
    let bucket = 0;
    while (bucket < buckets.length && seconds > buckets[bucket]) bucket++;
    series.perBucket[bucket] += 1;
  }

  private requestSamples(): Sample[] {
    return [...this.series.values()].map((s) => ({ labels: { method: s.method, operation: s.operation, status: s.status }, value: s.requests }));
  }

  /** Durations per (method, operation), whatever the status, as the histogram always had them. */
  private durationSamples(): Sample[] {
    const merged = new Map<string, { method: string; operation: string; perBucket: number[]; sum: number; count: number }>();
    for (const s of this.series.values()) {
      const key = `${s.method} ${s.operation}`;
      let into = merged.get(key);
      if (!into) {
        into = { method: s.method, operation: s.operation, perBucket: new Array(buckets.length + 1).fill(0), sum: 0, count: 0 };
        merged.set(key, into);
      }
      for (let i = 0; i < s.perBucket.length; i++) into.perBucket[i] += s.perBucket[i];
      into.sum += s.sum;
      into.count += s.requests;
    }
    const name = 'itops_http_request_duration_seconds';
    const samples: Sample[] = [];
    for (const m of merged.values()) {
      const labels = { method: m.method, operation: m.operation };
      let cumulative = 0;
      buckets.forEach((le, i) => {
        cumulative += m.perBucket[i];
        samples.push({ labels: { ...labels, le }, value: cumulative, metricName: `${name}_bucket` });
      });
      samples.push(
        { labels: { ...labels, le: '+Inf' }, value: m.count, metricName: `${name}_bucket` },
        { labels, value: m.sum, metricName: `${name}_sum` },
        { labels, value: m.count, metricName: `${name}_count` },
      );
    }
    return samples;
  }
}
