// Metrics of webhook calls, on a registry passed in (never the global default). Labelled by
// hook type only: Canary and webhook names would make the series unbounded.
import { Counter, Histogram, type Registry } from 'prom-client';

/** How a call ended, after its retries. */
export type WebhookCallResult = 'success' | 'rejected' | 'error' | 'timeout' | 'aborted';

export interface WebhookMetrics {
  calls: Counter<'type' | 'result'>;
  duration: Histogram<'type'>;
  retries: Counter<'type'>;
  eventsDropped: Counter;
}

const cache = new WeakMap<Registry, WebhookMetrics>();

export function webhookMetrics(registry: Registry): WebhookMetrics {
  const existing = cache.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const metrics: WebhookMetrics = {
    calls: new Counter({
      name: 'sluice_webhook_calls_total',
      help: 'Webhook calls by hook type and result (success: 2xx; rejected: another status; error, timeout, aborted: no answer), retries included in one call.',
      labelNames: ['type', 'result'],
      registers,
    }),
    duration: new Histogram({
      name: 'sluice_webhook_duration_seconds',
      help: 'Time a webhook call took, retries and back-off included.',
      labelNames: ['type'],
      buckets: [0.005, 0.025, 0.1, 0.25, 1, 2.5, 10, 30, 60, 300],
      registers,
    }),
    retries: new Counter({
      name: 'sluice_webhook_retries_total',
      help: 'Webhook attempts repeated after a connection error, timeout, 429 or 5xx.',
      labelNames: ['type'],
      registers,
    }),
    eventsDropped: new Counter({
      name: 'sluice_webhook_events_dropped_total',
      help: 'Event webhook calls not made because too many were still in flight.',
      registers,
    }),
  };
  cache.set(registry, metrics);
  return metrics;
}
