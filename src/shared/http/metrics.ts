import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Middleware } from 'koa';

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

  middleware(): Middleware {
    // The labelled series, looked up once each: prom-client hashes the label object on every call.
    const counters = new Map<string, { inc(): void }>();
    const timers = new Map<string, { observe(v: number): void }>();
    return async (ctx, next) => {
      const started = process.hrtime.bigint();
      try {
        await next();
      } finally {
        // Never the raw path: preflights and body errors on arbitrary paths would grow the series without bound.
        const route = (ctx.state.route as string | undefined) ?? 'unmatched';
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const series = `${ctx.method} ${route}`;
        let timer = timers.get(series);
        if (!timer) timers.set(series, (timer = this.latency.labels(ctx.method, route)));
        timer.observe(seconds);
        const counted = `${series} ${ctx.status}`;
        let counter = counters.get(counted);
        if (!counter) counters.set(counted, (counter = this.requests.labels(ctx.method, route, String(ctx.status))));
        counter.inc();
      }
    };
  }
}
