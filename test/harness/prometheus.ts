// A real Prometheus for integration tests: Debian's binary, started in a temporary directory
// on a free loopback port, scraping the targets a test names every second, and optionally the
// pods it discovers through the test API server (kubernetesPods). stop() always
// leaves nothing behind (process group killed, data directory removed).
//
//   const prom = await TestPrometheus.start({ targets: [{ address: `127.0.0.1:${port}`, labels: { namespace: 'shop' } }] });
//   await prom.waitForScrapeAfter(Date.now());   // the samples written so far are in
//   ... query prom.url ...
//   await prom.stop();

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from './control-plane.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { prometheusPath } from './binaries.js';
import { ManagedProcess, waitFor } from './managed-process.js';

export interface ScrapeTarget {
  /** host:port serving metrics. */
  address: string;
  /** Labels added to every series scraped from it (e.g. `namespace`, as a Kubernetes scrape config would). */
  labels?: Record<string, string>;
  /** Default /metrics. */
  metricsPath?: string;
}

/**
 * Pods found through Prometheus' own Kubernetes service discovery (role pod) against the test
 * API server, as a cluster's Prometheus finds waypoints: pods annotated
 * prometheus.io/scrape=true, scraped on their prometheus.io/port and prometheus.io/path, at
 * their address mapped onto loopback (198.18/15 -> 127.18/15, where the pod runner runs them),
 * with `namespace` and `pod` labels.
 */
export interface KubernetesPodDiscovery {
  apiServerUrl: string;
  caPem: string;
  /** Bearer token of an identity that may list and watch pods in `namespaces`. */
  token: string;
  namespaces: string[];
}

export interface TestPrometheusOptions {
  targets: ScrapeTarget[];
  kubernetesPods?: KubernetesPodDiscovery;
  /** Scrape (and rule evaluation) interval. Default 1 s. */
  scrapeIntervalSeconds?: number;
  /** Extra command-line flags. */
  extraArgs?: string[];
}

interface TargetsResponse {
  data?: { activeTargets?: { scrapeUrl: string; health: string; lastScrape: string; lastError: string }[] };
}

export { freePort };

function kubernetesPodsJob(discovery: KubernetesPodDiscovery, dir: string): object {
  const caFile = join(dir, 'kubernetes-ca.crt');
  const tokenFile = join(dir, 'kubernetes.token');
  writeFileSync(caFile, discovery.caPem);
  writeFileSync(tokenFile, discovery.token, { mode: 0o600 });
  return {
    job_name: 'kubernetes-pods',
    kubernetes_sd_configs: [
      {
        role: 'pod',
        api_server: discovery.apiServerUrl,
        namespaces: { names: discovery.namespaces },
        tls_config: { ca_file: caFile },
        authorization: { credentials_file: tokenFile },
      },
    ],
    relabel_configs: [
      { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], action: 'keep', regex: 'true' },
      { source_labels: ['__meta_kubernetes_pod_phase'], action: 'keep', regex: 'Running' },
      // Nothing may send packets to a 198.18/15 pod address: scrape its loopback twin.
      {
        source_labels: ['__meta_kubernetes_pod_ip', '__meta_kubernetes_pod_annotation_prometheus_io_port'],
        regex: String.raw`198\.(18|19)\.(\d+)\.(\d+);(\d+)`,
        replacement: '127.$1.$2.$3:$4',
        target_label: '__address__',
      },
      { source_labels: ['__address__'], action: 'keep', regex: String.raw`127\..*` },
      { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_path'], regex: '(.+)', target_label: '__metrics_path__' },
      { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
      { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
    ],
  };
}

function scrapeConfig(options: TestPrometheusOptions, dir: string): string {
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  return stringify({
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    scrape_configs: [
      ...options.targets.map((t, i) => ({
        job_name: `target-${i}`,
        metrics_path: t.metricsPath ?? '/metrics',
        static_configs: [{ targets: [t.address], labels: t.labels ?? {} }],
      })),
      ...(options.kubernetesPods ? [kubernetesPodsJob(options.kubernetesPods, dir)] : []),
    ],
  });
}

export class TestPrometheus {
  private stopped = false;

  private constructor(
    readonly url: string,
    readonly dir: string,
    private readonly child: ManagedProcess,
    private readonly targetCount: number,
  ) {}

  static async start(options: TestPrometheusOptions): Promise<TestPrometheus> {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-prometheus-'));
    const configFile = join(dir, 'prometheus.yml');
    writeFileSync(configFile, scrapeConfig(options, dir));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = new ManagedProcess({
      name: 'prometheus',
      command: prometheusPath({ kubernetesDiscovery: options.kubernetesPods !== undefined }),
      args: [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-lifecycle',
        '--log.level=warn',
        ...(options.extraArgs ?? []),
      ],
      logFile: join(dir, 'prometheus.log'),
    });
    const prometheus = new TestPrometheus(url, dir, child, options.targets.length);
    try {
      await waitFor(
        'Prometheus to be ready',
        async () => {
          if (!child.running) throw new Error(child.describeExit());
          return (await fetch(`${url}/-/ready`)).ok;
        },
        { timeoutMs: 30_000, intervalMs: 100, describe: () => child.describeExit() },
      );
    } catch (err) {
      await prometheus.stop();
      throw err;
    }
    return prometheus;
  }

  /** Raw `data.result` of an instant query, for assertions about what Prometheus holds. */
  async query(promql: string): Promise<unknown> {
    const response = await fetch(`${this.url}/api/v1/query?${new URLSearchParams({ query: promql })}`);
    const body = (await response.json()) as { status: string; error?: string; data?: { result?: unknown } };
    if (body.status !== 'success') throw new Error(`query ${promql} failed: ${body.error ?? response.status}`);
    return body.data?.result;
  }

  /** Waits until every target has been scraped successfully after `time` (epoch ms). */
  async waitForScrapeAfter(time: number, timeoutMs = 30_000): Promise<void> {
    let last = '';
    await waitFor(
      'every target to be scraped',
      async () => {
        const body = (await (await fetch(`${this.url}/api/v1/targets?state=active`)).json()) as TargetsResponse;
        const targets = body.data?.activeTargets ?? [];
        last = targets.map((t) => `${t.scrapeUrl}: ${t.health} at ${t.lastScrape} ${t.lastError}`).join('\n');
        return targets.length === this.targetCount && targets.every((t) => t.health === 'up' && Date.parse(t.lastScrape) > time);
      },
      { timeoutMs, intervalMs: 200, describe: () => `targets:\n${last}\n${this.child.tail(10)}` },
    );
  }

  /** The targets Prometheus scrapes now (static and discovered), with their health. */
  async activeTargets(): Promise<{ scrapeUrl: string; health: string; lastScrape: string; lastError: string; labels: Record<string, string> }[]> {
    const body = (await (await fetch(`${this.url}/api/v1/targets?state=active`)).json()) as {
      data?: { activeTargets?: { scrapeUrl: string; health: string; lastScrape: string; lastError: string; labels: Record<string, string> }[] };
    };
    return body.data?.activeTargets ?? [];
  }

  /** Waits until the discovered pods `pods` are all scraped successfully after `time` (epoch ms). */
  async waitForPodScrapes(pods: string[], time: number, timeoutMs = 30_000): Promise<void> {
    let last = '';
    await waitFor(
      `Prometheus to scrape pods ${pods.join(', ')}`,
      async () => {
        const targets = await this.activeTargets();
        last = targets.map((t) => `${t.labels.pod ?? t.scrapeUrl}: ${t.health} at ${t.lastScrape} ${t.lastError}`).join('\n');
        return pods.every((pod) => targets.some((t) => t.labels.pod === pod && t.health === 'up' && Date.parse(t.lastScrape) > time));
      },
      { timeoutMs, intervalMs: 200, describe: () => `targets:\n${last}\n${this.child.tail(10)}` },
    );
  }

  get running(): boolean {
    return this.child.running;
  }

  /** Stops Prometheus and removes its directory (kept when `keepDir`, for a failing test's logs). */
  async stop(options: { keepDir?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // Prometheus exits within a second of SIGTERM; waiting here with a timer we clear keeps
    // ManagedProcess.stop()'s grace timer from holding Jest open once the process is gone.
    const pid = this.child.pid;
    if (this.child.running && pid !== undefined) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        // already gone
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.child.waitForExit(), new Promise<void>((resolve) => (timer = setTimeout(resolve, 5000)))]);
      clearTimeout(timer);
    }
    await this.child.stop();
    if (!options.keepDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
