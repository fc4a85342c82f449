// The metric providers against real components: a real Sluice proxy serves traffic to two
// backends with chosen error rates and latencies, a real Prometheus scrapes the proxy's
// /metrics every second (adding the namespace label, as a Kubernetes scrape would), and the
// control-plane side of the live counters is fed from the same proxy. Both providers must
// report the values the traffic was built to have, for served requests and for the mirrored
// copies a mirror step judges the canary on.

import { pino } from 'pino';
import { buildChecks, canaryBackends } from '../../../analysis/checks.js';
import { LiveWindowStore } from '../../../analysis/live-window.js';
import { BuiltinProvider } from '../../../analysis/providers/builtin.js';
import { PrometheusProvider } from '../../../analysis/providers/prometheus.js';
import { MetricQueryError, type MetricProvider } from '../../../analysis/providers/provider.js';
import { DURATION_BUCKETS_SECONDS } from '../../../proxy/metrics.js';
import { ProxyServer } from '../../../proxy/proxy-server.js';
import { LATENCY_BUCKETS_MS } from '../../../proxy/stats-report.js';
import type { Snapshot } from '../../../proxy/snapshot.js';
import { freePort, TestPrometheus } from '../../harness/prometheus.js';
import { canaryWith, compareJudge } from '../../unit/analysis/fixtures.js';
import { startAuthGateway, startBackend, startBlackHole, type Backend } from './traffic.js';

const NS = 'shop';
const canary = canaryWith([]);
const { canary: CANARY, primary: PRIMARY } = canaryBackends(canary);

// Traffic built to have exact values: the canary fails 1 request in 10 and takes 60 ms (all in
// the (50 ms, 100 ms] bucket of both histograms), the primary fails 1 in 50 and takes 12 ms
// (bucket (10 ms, 25 ms]). The warm-up requests create every series before Prometheus starts,
// so that the measured load is an increase over a baseline sample.
const CANARY_PATTERN = { errorEvery: 10, delayMs: 60 };
const PRIMARY_PATTERN = { errorEvery: 50, delayMs: 12 };
const LOAD = 300;
/** Requests answered by the primary with a copy of each mirrored to the canary. */
const MIRRORED = 100;
/** Mirrored requests of the warm-up: a multiple of both error patterns. */
const MIRROR_WARM_UP = 50;
const WINDOW_MS = 120_000;

let canaryBackend: Backend;
let primaryBackend: Backend;
let proxy: ProxyServer;
let proxyPort: number;
let prometheus: TestPrometheus;
let provider: PrometheusProvider;
let store: LiveWindowStore;
let live: BuiltinProvider;
let statsTimer: NodeJS.Timeout;

function snapshot(): Snapshot {
  return {
    version: 'analysis-v1',
    listeners: [
      {
        name: 'web',
        port: 0,
        // Every failure must reach the backend and be counted: no ejection, no retries.
        outlierDetection: { consecutiveFailures: 0 },
        rules: [
          { name: 'canary', matches: [{ headers: [{ name: 'x-canary', exact: 'true' }] }], backends: [{ name: CANARY, weight: 1 }] },
          { name: 'mirror', matches: [{ headers: [{ name: 'x-mirror', exact: 'true' }] }], backends: [{ name: PRIMARY, weight: 1 }], mirror: { backend: CANARY, percent: 100 } },
          { name: 'default', backends: [{ name: PRIMARY, weight: 1 }] },
        ],
      },
    ],
    backends: {
      [CANARY]: { endpoints: [{ address: '127.0.0.1', port: canaryBackend.port, ready: true }] },
      [PRIMARY]: { endpoints: [{ address: '127.0.0.1', port: primaryBackend.port, ready: true }] },
    },
  };
}

/** Latencies (ms) the client saw, per backend: an upper bound of what the proxy measured. */
const clientLatencies: Record<string, number[]> = {};

async function request(toCanary: boolean): Promise<number> {
  const started = performance.now();
  const response = await fetch(`http://127.0.0.1:${proxyPort}/`, { headers: toCanary ? { 'x-canary': 'true' } : {} });
  await response.arrayBuffer();
  (clientLatencies[toCanary ? CANARY : PRIMARY] ??= []).push(performance.now() - started);
  return response.status;
}

/** `count` requests to one backend, one after the other; resolves with the status codes. */
async function sendSequentially(count: number, toCanary: boolean): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) statuses.push(await request(toCanary));
  return statuses;
}

/**
 * Live-like load: every `intervalMs` one request to each backend, both over the same seconds,
 * as clients of the apex Service spread over primary and canary would.
 */
async function sendPaced(count: number, intervalMs: number): Promise<{ canary: number[]; primary: number[] }> {
  const canaryReplies: Promise<number>[] = [];
  const primaryReplies: Promise<number>[] = [];
  for (let i = 0; i < count; i++) {
    canaryReplies.push(request(true));
    primaryReplies.push(request(false));
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return { canary: await Promise.all(canaryReplies), primary: await Promise.all(primaryReplies) };
}

/** `count` requests through the mirror rule, one after the other. */
async function sendMirrored(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const response = await fetch(`http://127.0.0.1:${proxyPort}/`, { headers: { 'x-mirror': 'true' } });
    await response.arrayBuffer();
  }
}

/** Waits until the proxy has counted `total` mirrored copies (when each answer ended). */
async function copiesLanded(total: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((proxy.statsReport().mirrored?.[CANARY]?.requests ?? 0) < total) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${total} mirrored copies to be counted`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const ctx = (backend: string) => ({ namespace: NS, backend, windowMs: WINDOW_MS });
/** The canary judged on its mirrored copies, as during a mirror step. */
const mirroredCtx = () => ({ ...ctx(CANARY), mirroredBackends: [CANARY] });

beforeAll(async () => {
  canaryBackend = await startBackend(CANARY_PATTERN);
  primaryBackend = await startBackend(PRIMARY_PATTERN);
  proxy = new ProxyServer({ bindAddress: '127.0.0.1', adminPort: 0, proxyId: 'waypoint-analysis', logger: pino({ level: 'silent' }) });
  await proxy.start();
  const applied = await proxy.applySnapshot(snapshot());
  if (!applied.ok) throw new Error(applied.error);
  proxyPort = proxy.listenerPorts().web as number;

  // The control plane's side of the live counters.
  store = new LiveWindowStore();
  store.ingest(NS, proxy.statsReport());
  statsTimer = setInterval(() => store.ingest(NS, proxy.statsReport()), 250);
  live = new BuiltinProvider({ store });

  await sendSequentially(CANARY_PATTERN.errorEvery, true);
  await sendSequentially(PRIMARY_PATTERN.errorEvery, false);
  // Aligned with both patterns: one error on the primary, five on the canary's copies.
  await sendMirrored(MIRROR_WARM_UP);
  await copiesLanded(MIRROR_WARM_UP);

  prometheus = await TestPrometheus.start({ targets: [{ address: `127.0.0.1:${proxy.adminPort}`, labels: { namespace: NS } }] });
  provider = new PrometheusProvider({ address: prometheus.url, timeoutMs: 5000 });
  await prometheus.waitForScrapeAfter(Date.now());

  const { canary: canaryStatuses, primary: primaryStatuses } = await sendPaced(LOAD, 10);
  expect(canaryStatuses.filter((s) => s === 500)).toHaveLength(LOAD / CANARY_PATTERN.errorEvery);
  expect(primaryStatuses.filter((s) => s === 500)).toHaveLength(LOAD / PRIMARY_PATTERN.errorEvery);
  // A mirror step's traffic: clients get the primary, the canary a copy of each request. Its
  // counter is aligned, so exactly one copy in errorEvery fails.
  await sendMirrored(MIRRORED);
  await copiesLanded(MIRROR_WARM_UP + MIRRORED);
  store.ingest(NS, proxy.statsReport());
  // Two scrapes after the load: the final counts are in, with a sample after them.
  await prometheus.waitForScrapeAfter(Date.now() + 1000);
}, 90_000);

afterAll(async () => {
  clearInterval(statsTimer);
  await prometheus?.stop();
  await proxy?.stop();
  await canaryBackend?.close();
  await primaryBackend?.close();
});

describe('builtin queries on real traffic', () => {
  it("Prometheus scraped the proxy's series with the namespace label", async () => {
    const series = (await prometheus.query(`sluice_requests_total{namespace="${NS}",backend="${CANARY}",code="500",mirrored="false"}`)) as unknown[];
    expect(series).toHaveLength(1);
    const copies = (await prometheus.query(`sluice_request_duration_seconds_count{namespace="${NS}",backend="${CANARY}",mirrored="true"}`)) as unknown[];
    expect(copies).toHaveLength(1);
  });

  it.each([
    ['Prometheus', () => provider],
    ['live counters', () => live],
  ] as [string, () => MetricProvider][])('%s: success and error rates are exact', async (_name, get) => {
    const p = get();
    expect(await p.query(p.builtinQuery('request-success-rate', ctx(CANARY)), ctx(CANARY))).toBeCloseTo(90, 6);
    expect(await p.query(p.builtinQuery('request-success-rate', ctx(PRIMARY)), ctx(PRIMARY))).toBeCloseTo(98, 6);
    expect(await p.query(p.builtinQuery('request-error-rate', ctx(CANARY)), ctx(CANARY))).toBeCloseTo(10, 6);
  });

  it.each([
    ['Prometheus', () => provider, DURATION_BUCKETS_SECONDS.map((s) => s * 1000)],
    ['live counters', () => live, [...LATENCY_BUCKETS_MS]],
  ] as [string, () => MetricProvider, number[]][])('%s: latency quantiles lie in the histogram buckets of the true ones', async (_name, get, bounds) => {
    // The true quantile lies between the backend's delay and what the client saw (which adds
    // the client's own time); histogram_quantile interpolates inside the bucket holding it. On a
    // quiet machine every canary request falls in one bucket and the p99 is exact, e.g. 99.5 ms
    // for (50, 100] on Prometheus.
    const p = get();
    const bucketBelow = (ms: number): number => [0, ...bounds].filter((b) => b < ms).pop() ?? 0;
    const bucketAbove = (ms: number): number => bounds.find((b) => b >= ms) ?? Infinity;
    for (const [backend, delay] of [
      [CANARY, CANARY_PATTERN.delayMs],
      [PRIMARY, PRIMARY_PATTERN.delayMs],
    ] as const) {
      const seen = [...(clientLatencies[backend] ?? [])].sort((a, b) => a - b);
      for (const [query, q] of [
        ['request-duration-p50', 0.5],
        ['request-duration-p99', 0.99],
      ] as const) {
        const value = await p.query(p.builtinQuery(query, ctx(backend)), ctx(backend));
        const clientQuantile = seen[Math.ceil(q * seen.length) - 1] as number;
        expect(value).toBeGreaterThanOrEqual(bucketBelow(delay));
        expect(value).toBeLessThanOrEqual(bucketAbove(clientQuantile));
      }
    }
  });

  it('counts requests: exactly on live counters, within increase() extrapolation on Prometheus', async () => {
    // The mirrored copies the canary also answered are not among its served requests.
    expect(await live.requestCount(ctx(CANARY))).toBe(LOAD + CANARY_PATTERN.errorEvery);
    const prom = await provider.requestCount(ctx(CANARY));
    expect(prom).toBeGreaterThanOrEqual(LOAD * 0.95);
    expect(prom).toBeLessThanOrEqual(LOAD * 1.25);
    expect(await provider.query(provider.builtinQuery('request-rate', ctx(CANARY)), ctx(CANARY))).toBeGreaterThan(0);
  });

  it('gives the compare judge traffic from both providers that fails the canary', async () => {
    const compare = canaryWith([{ name: 'request-success-rate', interval: '2m' }, { name: 'request-duration', interval: '2m' }], compareJudge({ confidence: 0.99 }));
    compare.metadata.namespace = NS;
    for (const p of [provider, live]) {
      const checks = buildChecks({ canary: compare }, { builtin: p, template: () => undefined, providerFor: () => p });
      const [success, duration] = await Promise.all(checks.map((c) => c.evaluate(new AbortController().signal)));
      expect({ provider: p.description, success: success?.verdict, duration: duration?.verdict, reasons: [success?.reason, duration?.reason] }).toEqual({
        provider: p.description,
        success: 'fail',
        duration: 'fail',
        reasons: [expect.stringMatching(/more than 10% worse than the primary at 99% confidence/), expect.stringMatching(/canary requests are typically .* as slow as the primary's/)],
      });
      // Counts from increase() are extrapolated and rounded: rates within half a percent.
      expect(success?.value).toBeCloseTo(90, 0);
      expect(success?.primaryValue).toBeCloseTo(98, 0);
    }
  });

  it.each([
    ['Prometheus', () => provider],
    ['live counters', () => live],
  ] as [string, () => MetricProvider][])('%s: judges the canary on its mirrored copies alone when asked to', async (_name, get) => {
    const p = get();
    const copies = mirroredCtx();
    expect(await p.query(p.builtinQuery('request-success-rate', copies), copies)).toBeCloseTo(90, 6);
    const p99 = await p.query(p.builtinQuery('request-duration-p99', copies), copies);
    expect(p99).toBeGreaterThanOrEqual(50);
    expect(p99).toBeLessThanOrEqual(100);
    // Live counters hold the warm-up too (the store started before it); Prometheus' window
    // starts at its first scrape, after the warm-up.
    const count = await p.requestCount(copies);
    if (p === live) expect(count).toBe(MIRROR_WARM_UP + MIRRORED);
    else expect(Math.abs(count - MIRRORED)).toBeLessThanOrEqual(MIRRORED * 0.25);
    // The served requests of the canary are what they were: copies never blend in.
    expect(await p.query(p.builtinQuery('request-success-rate', ctx(CANARY)), ctx(CANARY))).toBeCloseTo(90, 6);
    const ticks = await p.traffic([CANARY, PRIMARY], { namespace: NS, windowMs: WINDOW_MS, mirroredBackends: [CANARY] });
    const sum = (backend: string, field: 'requests' | 'errors'): number => ticks.reduce((n, t) => n + (t.backends[backend]?.[field] ?? 0), 0);
    expect(sum(CANARY, 'errors') / sum(CANARY, 'requests')).toBeCloseTo(0.1, 2);
    expect(sum(PRIMARY, 'requests')).toBeGreaterThan(LOAD + MIRRORED * 0.75);
  });

  it('answers the health check', async () => {
    await expect(provider.healthCheck()).resolves.toBeUndefined();
  });
});

describe('clear messages for what goes wrong', () => {
  async function failure(p: MetricProvider, query: string): Promise<MetricQueryError> {
    try {
      await p.query(query, ctx(CANARY));
    } catch (err) {
      if (err instanceof MetricQueryError) return err;
      throw err;
    }
    throw new Error(`query ${query} unexpectedly succeeded`);
  }

  it('a wrong query: HTTP 400 with Prometheus own parse error', async () => {
    const err = await failure(provider, 'sum(rate(sluice_requests_total[1m])');
    expect(err.kind).toBe('invalid-query');
    expect(err.message).toMatch(new RegExp(`^Prometheus at ${prometheus.url} answered HTTP 400 to query sum\\(rate\\(sluice_requests_total\\[1m\\]\\): bad_data: .*parse error`));
  });

  it('a query with several series: says how many and how to fix it', async () => {
    const err = await failure(provider, `sluice_requests_total{namespace="${NS}"}`);
    expect(err.kind).toBe('non-scalar');
    expect(err.message).toMatch(/returned \d+ series \(sluice_requests_total\{.*\}, .*\); it must return exactly one value, e\.g\. wrap it in sum\(\)$/);
    const matrix = await failure(provider, `sum(sluice_requests_total{namespace="${NS}"})[1m:]`);
    expect(matrix.kind).toBe('non-scalar');
    expect(matrix.message).toMatch(/returned a matrix/);
  });

  it('an empty result is "no data"', async () => {
    const err = await failure(provider, 'sum(sluice_requests_total{namespace="nowhere"})');
    expect(err.kind).toBe('no-data');
    expect(err.message).toMatch(/^no data: query .* returned an empty result \(no matching series in the window\)$/);
  });

  it('NaN is "no data" and infinity is an error', async () => {
    expect((await failure(provider, 'vector(0) / vector(0)')).message).toMatch(/returned NaN \(typically 0\/0: no requests in the window\)/);
    const inf = await failure(provider, 'vector(1) / vector(0)');
    expect(inf.kind).toBe('not-finite');
    expect(inf.message).toMatch(/returned \+Inf$/);
  });

  it('an unreachable server', async () => {
    const port = await freePort();
    const down = new PrometheusProvider({ address: `http://127.0.0.1:${port}` });
    const err = await failure(down, 'vector(1)');
    expect(err.kind).toBe('unreachable');
    expect(err.message).toBe(`Prometheus at http://127.0.0.1:${port} is unreachable: connect ECONNREFUSED 127.0.0.1:${port}`);
    await expect(down.healthCheck()).rejects.toThrow(/is unreachable/);
  });

  it('a server that does not answer in time', async () => {
    const hole = await startBlackHole();
    try {
      const slow = new PrometheusProvider({ address: `http://127.0.0.1:${hole.port}`, timeoutMs: 300 });
      const err = await failure(slow, 'vector(1)');
      expect(err.kind).toBe('timeout');
      expect(err.message).toBe(`Prometheus at http://127.0.0.1:${hole.port} did not answer within 0.3s`);
    } finally {
      await hole.close();
    }
  });

  it('a metric whose backend saw no traffic is "no data" on both providers', async () => {
    const quiet = { namespace: NS, backend: 'nobody-canary', windowMs: WINDOW_MS };
    for (const p of [provider, live]) {
      await expect(p.query(p.builtinQuery('request-success-rate', quiet), quiet)).rejects.toMatchObject({ kind: 'no-data' });
    }
  });
});

describe('credentials and TLS', () => {
  const token = 'sluice-test-token';
  const basic = `Basic ${Buffer.from('analyst:s3cret').toString('base64')}`;
  let gateway: Awaited<ReturnType<typeof startAuthGateway>>;

  beforeAll(async () => {
    gateway = await startAuthGateway(prometheus.url, [`Bearer ${token}`, basic]);
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('sends a bearer token or basic credentials, and skips verification only when told to', async () => {
    const bearer = new PrometheusProvider({ address: gateway.url, insecureSkipVerify: true, credentials: { type: 'bearer', token } });
    expect(await bearer.query(bearer.builtinQuery('request-success-rate', ctx(CANARY)), ctx(CANARY))).toBeCloseTo(90, 6);
    const withBasic = new PrometheusProvider({ address: gateway.url, insecureSkipVerify: true, credentials: { type: 'basic', username: 'analyst', password: 's3cret' } });
    await expect(withBasic.healthCheck()).resolves.toBeUndefined();
  });

  it('reports a rejected credential with the status and the body', async () => {
    const wrong = new PrometheusProvider({ address: gateway.url, insecureSkipVerify: true, credentials: { type: 'bearer', token: 'nope' } });
    await expect(wrong.query('vector(1)', {})).rejects.toThrow(`Prometheus at ${gateway.url} answered HTTP 401 to query vector(1): Unauthorized`);
  });

  it('refuses a certificate it cannot verify unless insecureSkipVerify is set', async () => {
    const strict = new PrometheusProvider({ address: gateway.url, credentials: { type: 'bearer', token } });
    const err = await strict.query('vector(1)', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MetricQueryError);
    expect((err as MetricQueryError).message).toMatch(/is unreachable: .*(certificate|self.signed)/i);
  });
});
