import { Counter, Histogram, type Registry } from 'prom-client';

/** Request counters and latency per operation (never per raw path: ids would explode the series). */
export class HttpMetrics {
  private readonly requests: Counter<'method' | 'operation' | 'status'>;
  private readonly duration: Histogram<'method' | 'operation'>;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'itops_http_requests_total',
      help: 'HTTP requests by operation and status',
      labelNames: ['method', 'operation', 'status'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'itops_http_request_duration_seconds',
      help: 'HTTP request duration by operation',
      labelNames: ['method', 'operation'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
  }

  /** The series of each (method, operation, status): prom-client hashes a label set on every call. */
  private readonly series = new Map<string, { requests: { inc(): void }; duration: { observe(seconds: number): void } }>();

  observe(method: string, operation: string, status: number, seconds: number): void {
    const key = `${method} ${operation} ${status}`;
    let series = this.series.get(key);
    if (!series) {
      series = { requests: this.requests.labels(method, operation, String(status)), duration: this.duration.labels(method, operation) };
      this.series.set(key, series);
    }
    series.requests.inc();
    series.duration.observe(seconds);
  }
}
