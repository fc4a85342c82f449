// A real Prometheus for integration tests: Debian's binary, started in a temporary directory
// on a free loopback port, scraping the targets a test names every second. stop() always
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

export interface TestPrometheusOptions {
  targets: ScrapeTarget[];
  /** Scrape (and rule evaluation) interval. Default 1 s. */
  scrapeIntervalSeconds?: number;
  /** Extra command-line flags. */
  extraArgs?: string[];
}

interface TargetsResponse {
  data?: { activeTargets?: { scrapeUrl: string; health: string; lastScrape: string; lastError: string }[] };
}

export { freePort };

function scrapeConfig(options: TestPrometheusOptions): string {
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  return stringify({
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    scrape_configs: options.targets.map((t, i) => ({
      job_name: `target-${i}`,
      metrics_path: t.metricsPath ?? '/metrics',
      static_configs: [{ targets: [t.address], labels: t.labels ?? {} }],
    })),
  });
}

export class TestPrometheus {
  private constructor(
    readonly url: string,
    readonly dir: string,
    private readonly child: ManagedProcess,
    private readonly targetCount: number,
  ) {}

  static async start(options: TestPrometheusOptions): Promise<TestPrometheus> {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-prometheus-'));
    const configFile = join(dir, 'prometheus.yml');
    writeFileSync(configFile, scrapeConfig(options));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = new ManagedProcess({
      name: 'prometheus',
      command: prometheusPath(),
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

  /** Stops Prometheus and removes its directory (kept when `keepDir`, for a failing test's logs). */
  async stop(options: { keepDir?: boolean } = {}): Promise<void> {
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
