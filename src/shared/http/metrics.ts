import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics for one app instance (its own registry, so several apps can live in one process). */
export class HttpMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  constructor(pool: () => { total: number; free: number; queued: number }) {
    collectDefaultMetrics({ register: this.registry });
    const reg = this.registry;
    new Gauge({ name: 'db_pool_connections', help: 'MySQL pool connections open', registers: [reg], collect() { this.set(pool().total); } });
    new Gauge({ name: 'db_pool_free', help: 'MySQL pool connections idle', registers: [reg], collect() { this.set(pool().free); } });
    new Gauge({ name: 'db_pool_queued', help: 'Requests waiting for a MySQL connection', registers: [reg], collect() { this.set(pool().queued); } });
  }

  private readonly counters = new Map<string, { inc(): void }>();
  private readonly timers = new Map<string, { observe(v: number): void }>();

  /** One answered request. The labelled series are looked up once each: prom-client hashes the label object on every call. */
  record(method: string, route: string, status: number, seconds: number): void {
    const series = `${method} ${route}`;
    let timer = this.timers.get(series);
    if (!timer) this.timers.set(series, (timer = this.latency.labels(method, route)));
    timer.observe(seconds);
    const counted = `${series} ${status}`;
    let counter = this.counters.get(counted);
    if (!counter) this.counters.set(counted, (counter = this.requests.labels(method, route, String(status))));
    counter.inc();
  }
}
