import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Services } from '../services/services.js';

/** Prometheus metrics, one registry per app so several apps can live in one test process. */
export function createMetrics(s: Services) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'quell_' });
  const requests = new Counter({
    name: 'quell_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'quell_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const alertsIngested = new Counter({
    name: 'quell_alerts_ingested_total',
    help: 'Alerts ingested (new, not duplicates)',
    registers: [registry],
  });
  new Gauge({
    name: 'quell_actions_pending_approval',
    help: 'Actions waiting for approval',
    registers: [registry],
    async collect() {
      const r = await s.ctx.store.db
        .selectFrom('actions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '=', 'pending_approval')
        .executeTakeFirstOrThrow();
      this.set(Number(r.n));
    },
  });
  return {
    contentType: registry.contentType,
    alertsIngested,
    observe(method: string, route: string, status: number, seconds: number) {
      requests.inc({ method, route, status: String(status) });
      duration.observe({ method, route }, seconds);
    },
    render: () => registry.metrics(),
  };
}
