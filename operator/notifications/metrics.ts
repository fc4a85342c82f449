// Notification metrics, on an injected registry (see operator/runtime/metrics.ts). The
// provider label is the AlertProvider's namespace/name: there are few of them, and "which
// channel is failing" is the question these answer.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type NotificationResult = 'delivered' | 'failed' | 'dropped' | 'unresolved';

export interface NotificationMetrics {
  /** Notifications by final result: delivered, failed (rejected or out of attempts), dropped (queue full or shutdown), unresolved (provider or Secret missing). */
  notifications: Counter<'provider' | 'result'>;
  attempts: Counter<'provider' | 'outcome'>;
  deliverySeconds: Histogram<'provider'>;
  queued: Gauge;
}

const cache = new WeakMap<Registry, NotificationMetrics>();

export function notificationMetrics(registry: Registry): NotificationMetrics {
  const existing = cache.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const metrics: NotificationMetrics = {
    notifications: new Counter({
      name: 'sluice_notifications_total',
      help: 'Notifications by AlertProvider (namespace/name) and final result: delivered, failed, dropped, unresolved.',
      labelNames: ['provider', 'result'],
      registers,
    }),
    attempts: new Counter({
      name: 'sluice_notification_attempts_total',
      help: 'HTTP delivery attempts by outcome: delivered, http_3xx, http_4xx, http_429, http_5xx, network, timeout.',
      labelNames: ['provider', 'outcome'],
      registers,
    }),
    deliverySeconds: new Histogram({
      name: 'sluice_notification_delivery_seconds',
      help: 'Time from notify() to the receiver accepting the notification, queueing and retries included.',
      labelNames: ['provider'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    }),
    queued: new Gauge({
      name: 'sluice_notifications_queued',
      help: 'Notifications waiting for delivery or being delivered, over all providers.',
      registers,
    }),
  };
  cache.set(registry, metrics);
  return metrics;
}
