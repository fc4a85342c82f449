// A dispatcher and canary notifier wired as the operator wires them, except that the
// AlertProviders and Secrets come from plain maps instead of informer caches.
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { API_VERSION, type AlertProvider, type AlertProviderSpec, type Canary, type CanaryAlert } from '../../../../crds/index.js';
import { CanaryNotifier } from '../../../../operator/notifications/canary-notifier.js';
import type { RetryPolicy } from '../../../../operator/notifications/delivery-policy.js';
import { type DispatcherOptions, NotificationDispatcher } from '../../../../operator/notifications/dispatcher.js';
import { type SecretLike, createProviderResolver } from '../../../../operator/notifications/provider-resolution.js';

export const NAMESPACE = 'apps';

/** Quick retries so that a test with failures takes well under a second. */
export const FAST_RETRY: RetryPolicy = { maxAttempts: 4, backoff: { initialMs: 50, maxMs: 200, factor: 2, jitter: 0.2 }, maxRetryAfterMs: 5_000 };

export interface World {
  registry: Registry;
  dispatcher: NotificationDispatcher;
  notifier: CanaryNotifier;
  providers: Map<string, AlertProvider>;
  secrets: Map<string, SecretLike>;
  /** Every log line the dispatcher wrote, as JSON text. */
  logLines: string[];
}

export function alertProvider(name: string, spec: AlertProviderSpec): AlertProvider {
  return { apiVersion: API_VERSION, kind: 'AlertProvider', metadata: { name, namespace: NAMESPACE }, spec };
}

export function secret(values: Record<string, string>): SecretLike {
  return { data: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')])) };
}

/** `options.resolver` replaces the map-backed resolver (the maps then go unused). */
export function world(options: Partial<Omit<DispatcherOptions, 'registry' | 'log'>> = {}): World {
  const registry = new Registry();
  const providers = new Map<string, AlertProvider>();
  const secrets = new Map<string, SecretLike>();
  const logLines: string[] = [];
  const log: Logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  const resolver = createProviderResolver({
    getAlertProvider: (ref) => providers.get(`${ref.namespace}/${ref.name}`),
    getSecret: (namespace, name) => secrets.get(`${namespace}/${name}`),
  });
  const dispatcher = new NotificationDispatcher({ resolver, registry, log, retry: FAST_RETRY, ...options });
  return { registry, dispatcher, notifier: new CanaryNotifier({ sink: dispatcher }), providers, secrets, logLines };
}

export function canary(alerts: CanaryAlert[]): Canary {
  return {
    apiVersion: API_VERSION,
    kind: 'Canary',
    metadata: { name: 'podinfo', namespace: NAMESPACE },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      service: { port: 9898 },
      analysis: { interval: '30s', threshold: 5, stepWeight: 10, maxWeight: 50, alerts },
      progressDeadlineSeconds: 600,
      revertOnDeletion: true,
    },
    status: {
      phase: 'Progressing',
      canaryWeight: 20,
      lastAppliedSpec: '7d9f8c6b5a',
      analysisResults: [{ metric: 'request-success-rate', value: 80.25, thresholdRange: { min: 99 }, verdict: 'Failed', time: '2026-11-21T10:15:00Z' }],
    },
  };
}

/** Sum of a counter's values over the series matching `labels`. */
export async function counter(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values.filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((sum, v) => sum + v.value, 0);
}

/** Resolves once `predicate` holds, checking every 5 ms; rejects after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
