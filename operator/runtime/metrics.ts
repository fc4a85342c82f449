// Metrics of the controller runtime. Registered on a registry passed in (never the global
// default), so that several operators, or an operator and its tests, can live in one process.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface RuntimeMetrics {
  readonly registry: Registry;
  reconcileTotal: Counter<'controller' | 'result'>;
  reconcileDuration: Histogram<'controller'>;
  reconcileErrors: Counter<'controller'>;
  workqueueDepth: Gauge<'controller'>;
  workqueueAdds: Counter<'controller'>;
  workqueueRetries: Counter<'controller'>;
  informerLists: Counter<'resource' | 'result'>;
  informerWatchRestarts: Counter<'resource' | 'reason'>;
  informerObjects: Gauge<'resource'>;
  leader: Gauge<'lease'>;
  leaderTransitions: Counter<'lease' | 'event'>;
  eventsRecorded: Counter<'type' | 'reason' | 'action'>;
}

const cache = new WeakMap<Registry, RuntimeMetrics>();

/** The runtime's metrics on `registry`, created on first use (several components share them). */
export function runtimeMetrics(registry: Registry): RuntimeMetrics {
  const existing = cache.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const metrics: RuntimeMetrics = {
    registry,
    reconcileTotal: new Counter({
      name: 'sluice_reconcile_total',
      help: 'Reconciliations by controller and result (success, requeue, error).',
      labelNames: ['controller', 'result'],
      registers,
    }),
    reconcileDuration: new Histogram({
      name: 'sluice_reconcile_duration_seconds',
      help: 'Time spent in one reconciliation.',
      labelNames: ['controller'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    reconcileErrors: new Counter({
      name: 'sluice_reconcile_errors_total',
      help: 'Reconciliations that failed and were retried with back-off.',
      labelNames: ['controller'],
      registers,
    }),
    workqueueDepth: new Gauge({
      name: 'sluice_workqueue_depth',
      help: 'Keys waiting for a worker.',
      labelNames: ['controller'],
      registers,
    }),
    workqueueAdds: new Counter({
      name: 'sluice_workqueue_adds_total',
      help: 'Keys added to the work queue by watch events (before deduplication).',
      labelNames: ['controller'],
      registers,
    }),
    workqueueRetries: new Counter({
      name: 'sluice_workqueue_retries_total',
      help: 'Keys re-added with back-off after a failed reconciliation.',
      labelNames: ['controller'],
      registers,
    }),
    informerLists: new Counter({
      name: 'sluice_informer_lists_total',
      help: 'Full lists made by informers (start, expired watch, errors).',
      labelNames: ['resource', 'result'],
      registers,
    }),
    informerWatchRestarts: new Counter({
      name: 'sluice_informer_watch_restarts_total',
      help: 'Watches that ended and were restarted, by reason.',
      labelNames: ['resource', 'reason'],
      registers,
    }),
    informerObjects: new Gauge({
      name: 'sluice_informer_objects',
      help: 'Objects in the informer cache.',
      labelNames: ['resource'],
      registers,
    }),
    leader: new Gauge({
      name: 'sluice_leader',
      help: '1 while this process holds the leader election lease.',
      labelNames: ['lease'],
      registers,
    }),
    leaderTransitions: new Counter({
      name: 'sluice_leader_transitions_total',
      help: 'Leadership acquired or lost by this process.',
      labelNames: ['lease', 'event'],
      registers,
    }),
    eventsRecorded: new Counter({
      name: 'sluice_events_total',
      help: 'Kubernetes Events recorded, by what was written (create, aggregate, suppressed).',
      labelNames: ['type', 'reason', 'action'],
      registers,
    }),
  };
  cache.set(registry, metrics);
  return metrics;
}
