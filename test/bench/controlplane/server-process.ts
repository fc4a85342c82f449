// The benchmark's config server, in a process of its own so that its CPU and memory can be
// measured apart from the clients. Authenticates proxies with the real TokenReview API.
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { ConfigServer } from '../../../operator/config-server/config-server.js';
import { TokenReviewAuthenticator } from '../../../operator/config-server/token-authenticator.js';
import { benchSnapshot } from './bench-snapshot.js';
import type { ServerCommand, ServerReply } from './messages.js';

const send = (reply: ServerReply): void => {
  process.send?.(reply);
};

const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(process.env.BENCH_KUBECONFIG ?? '');
const log = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' });
const registry = new Registry();
const server = new ConfigServer({
  authenticator: new TokenReviewAuthenticator({ kubeConfig, log }),
  log,
  registry,
  host: '127.0.0.1',
  port: 0,
  plaintext: true,
  debounceMs: Number(process.env.BENCH_DEBOUNCE_MS ?? 50),
});
const namespace = process.env.BENCH_NAMESPACE ?? '';
server.publish(namespace, 'initial', benchSnapshot('initial', 0));
let weight = 0;

process.on('message', (raw: ServerCommand) => {
  switch (raw.cmd) {
    case 'publish': {
      weight = (weight + 7) % 100;
      const started = performance.now();
      server.publish(raw.namespace, raw.version, benchSnapshot(raw.version, weight));
      server
        .waitUntilApplied(raw.namespace, raw.version, { minProxies: raw.expectProxies, timeoutMs: raw.timeoutMs })
        .then((state) => send({ reply: 'published', version: raw.version, ms: performance.now() - started, applied: state.applied, connected: state.connected }))
        .catch((err: unknown) => send({ reply: 'failed', version: raw.version, error: err instanceof Error ? err.message : String(err) }));
      return;
    }
    case 'connected': {
      const state = server.appliedBy(raw.namespace);
      send({ reply: 'connected', count: state.connected, appliedCurrent: state.applied });
      return;
    }
    case 'usage': {
      const cpu = process.cpuUsage();
      void registry
        .getSingleMetric('sluice_config_push_duration_seconds')
        ?.get()
        .then((metric) => {
          const value = (suffix: string): number => metric.values.find((v) => (v as { metricName?: string }).metricName?.endsWith(suffix))?.value ?? 0;
          send({
            reply: 'usage',
            cpuMicros: cpu.user + cpu.system,
            rssBytes: process.memoryUsage().rss,
            at: performance.now(),
            pushes: value('_count'),
            pushSeconds: value('_sum'),
          });
        });
      return;
    }
  }
});

process.on('disconnect', () => {
  void server.close().then(() => process.exit(0));
});

void server.listen().then((port) => send({ reply: 'ready', port }));
