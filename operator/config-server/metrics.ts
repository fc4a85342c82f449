// Metrics of the config server, on an injected registry (see operator/runtime/metrics.ts).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface ConfigServerMetrics {
  proxiesConnected: Gauge<'namespace'>;
  snapshotsSent: Counter<'namespace'>;
  responses: Counter<'namespace' | 'result'>;
  rejectedStreams: Counter<'status'>;
  publishToAck: Histogram;
  pushDuration: Histogram;
  statsReports: Counter<'namespace'>;
  protocolErrors: Counter<'reason'>;
}

const cache = new WeakMap<Registry, ConfigServerMetrics>();

export function configServerMetrics(registry: Registry): ConfigServerMetrics {
  const existing = cache.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const metrics: ConfigServerMetrics = {
    proxiesConnected: new Gauge({
      name: 'sluice_config_proxies_connected',
      help: 'Proxies with an open config stream, by namespace.',
      labelNames: ['namespace'],
      registers,
    }),
    snapshotsSent: new Counter({
      name: 'sluice_config_snapshots_sent_total',
      help: 'Snapshots written to proxy streams.',
      labelNames: ['namespace'],
      registers,
    }),
    responses: new Counter({
      name: 'sluice_config_responses_total',
      help: 'Proxy answers to snapshots: ack or nack.',
      labelNames: ['namespace', 'result'],
      registers,
    }),
    rejectedStreams: new Counter({
      name: 'sluice_config_rejected_streams_total',
      help: 'Stream requests refused, by HTTP status (401 unauthenticated, 403 forbidden, ...).',
      labelNames: ['status'],
      registers,
    }),
    publishToAck: new Histogram({
      name: 'sluice_config_publish_to_ack_seconds',
      help: 'Time from publish() of a version to one proxy acknowledging it (debounce included).',
      buckets: [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    pushDuration: new Histogram({
      name: 'sluice_config_push_duration_seconds',
      help: 'Time to write one new version to every connected proxy of a namespace (serialization included).',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5],
      registers,
    }),
    statsReports: new Counter({
      name: 'sluice_config_stats_reports_total',
      help: 'Live counter reports received from proxies.',
      labelNames: ['namespace'],
      registers,
    }),
    protocolErrors: new Counter({
      name: 'sluice_config_protocol_errors_total',
      help: 'Malformed or unexpected messages from proxies.',
      labelNames: ['reason'],
      registers,
    }),
  };
  cache.set(registry, metrics);
  return metrics;
}
