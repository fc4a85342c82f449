// Prometheus from the test environment: the harness starts it, it becomes ready and scrapes a
// real target on loopback.
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { Counter, Registry } from 'prom-client';
import { prometheusPath } from '../../harness/index.js';
import { TestPrometheus } from '../../harness/prometheus.js';

describe('Prometheus', () => {
  let target: Server;
  let prometheus: TestPrometheus | undefined;

  afterAll(async () => {
    await prometheus?.stop();
    await new Promise<void>((resolve) => target.close(() => resolve()));
  });

  it('is installed', () => {
    expect(execFileSync(prometheusPath(), ['--version'], { encoding: 'utf8' })).toMatch(/^prometheus, version \d+\.\d+\.\d+/);
  });

  it('starts, answers /-/ready and scrapes a target on loopback', async () => {
    const registry = new Registry();
    const hits = new Counter({ name: 'sluice_env_test_hits_total', help: 'scrapes served', registers: [registry] });
    target = createServer((_req, res) => {
      hits.inc();
      void registry.metrics().then((body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body));
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const port = (target.address() as { port: number }).port;

    const started = Date.now();
    prometheus = await TestPrometheus.start({ targets: [{ address: `127.0.0.1:${port}`, labels: { namespace: 'env-test' } }] });
    expect((await fetch(`${prometheus.url}/-/ready`)).status).toBe(200);
    await prometheus.waitForScrapeAfter(started);
    const result = (await prometheus.query('sluice_env_test_hits_total{namespace="env-test"}')) as { value: [number, string] }[];
    expect(Number(result[0]?.value[1])).toBeGreaterThanOrEqual(1);
  });
});
