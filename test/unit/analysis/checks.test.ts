import { buildChecks, canaryBackends, type CheckSources } from '../../../analysis/checks.js';
import { DEFAULT_JUDGE } from '../../../analysis/judge-defaults.js';
import { LiveWindowStore, emptyCounters } from '../../../analysis/live-window.js';
import { BuiltinProvider } from '../../../analysis/providers/builtin.js';
import { MetricQueryError, type MetricProvider } from '../../../analysis/providers/provider.js';
import type { MetricTemplate } from '../../../crds/index.js';
import { LATENCY_BUCKETS_MS, type BackendCounters } from '../../../proxy/stats-report.js';
import { canaryWith, compareJudge, template } from './fixtures.js';

const NS = 'test';
const T0 = 1_000_000;

/** Cumulative counters of one backend: `requests` requests, `errors` of them failed, all at `latencyMs`. */
function counters(requests: number, errors: number, latencyMs: number): BackendCounters {
  const c = emptyCounters();
  const bucket = LATENCY_BUCKETS_MS.findIndex((upper) => latencyMs <= upper);
  c.latencyCounts[bucket] = requests;
  c.latencySumMs = requests * latencyMs;
  c.requests = requests;
  c.errors = errors;
  return c;
}

/** One proxy reporting every second for `seconds` s: per second the given traffic per backend. */
function simulate(store: LiveWindowStore, seconds: number, perSecond: Record<string, { requests: number; errorRate: number; latencyMs: number }>, start = T0): void {
  for (let s = 0; s <= seconds; s++) {
    const backends: Record<string, BackendCounters> = {};
    for (const [backend, t] of Object.entries(perSecond)) backends[backend] = counters(t.requests * s, Math.round(t.requests * s * t.errorRate), t.latencyMs);
    store.ingest(NS, { proxyId: 'waypoint-1', startedAt: start - 5000, at: start + s * 1000, snapshotVersion: 'v1', backends });
  }
}

/** A mirror step: clients are answered by the primary, the canary answers a copy of each request. */
function simulateMirror(store: LiveWindowStore, seconds: number, perSecond: number, canary: { errorRate: number; latencyMs: number }, primaryLatencyMs = 20): void {
  for (let s = 0; s <= seconds; s++) {
    store.ingest(NS, {
      proxyId: 'waypoint-1',
      startedAt: T0 - 5000,
      at: T0 + s * 1000,
      snapshotVersion: 'v1',
      backends: { [PRIMARY]: counters(perSecond * s, 0, primaryLatencyMs) },
      mirrored: { [CANARY]: counters(perSecond * s, Math.round(perSecond * s * canary.errorRate), canary.latencyMs) },
    });
  }
}

function sources(store: LiveWindowStore, now: number, templates: MetricTemplate[] = [], other?: MetricProvider): CheckSources {
  const builtin = new BuiltinProvider({ store, now: () => now });
  return {
    builtin,
    template: (ref) => templates.find((t) => t.metadata.name === ref.name && t.metadata.namespace === ref.namespace),
    providerFor: (t) => (t.spec.provider.type === 'builtin' ? builtin : (other ?? builtin)),
  };
}

/** A Prometheus stand-in that records the queries it is sent and answers each with `value`. */
function recordingProvider(queries: string[], value: number): MetricProvider {
  return {
    type: 'prometheus',
    description: 'a recording provider',
    query: async (q) => {
      queries.push(q);
      return value;
    },
    builtinQuery: () => '',
    requestCount: async () => 0,
    traffic: async () => [],
    healthCheck: async () => undefined,
  };
}

const signal = new AbortController().signal;
const { canary: CANARY, primary: PRIMARY } = canaryBackends(canaryWith([]));

describe('checks built from a Canary', () => {
  it('gives a Canary without analysis.judge the schema defaults', () => {
    expect(DEFAULT_JUDGE).toEqual({ mode: 'threshold', minRequests: 50, confidence: 0.95, maxRelativeDegradation: 0.1 });
  });

  it('names the backends after the apex Service', () => {
    expect(canaryBackends(canaryWith([]))).toEqual({ primary: 'podinfo-primary', canary: 'podinfo-canary' });
    const named = canaryWith([]);
    named.spec.service.name = 'shop';
    expect(canaryBackends(named)).toEqual({ primary: 'shop-primary', canary: 'shop-canary' });
  });

  it('judges builtin metrics by threshold on the live counters', async () => {
    const store = new LiveWindowStore();
    simulate(store, 60, { [CANARY]: { requests: 10, errorRate: 0.02, latencyMs: 40 } });
    const canary = canaryWith([
      { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' },
      { name: 'request-duration', thresholdRange: { max: 500 }, interval: '1m' },
    ]);
    const [success, duration] = await Promise.all(buildChecks({ canary }, sources(store, T0 + 60_000)).map((c) => c.evaluate(signal)));
    expect(success?.verdict).toBe('fail');
    expect(success?.value).toBeCloseTo(98, 6);
    expect(success?.reason).toBe('request-success-rate 98% is below the minimum of 99% (over 1m, 600 requests)');
    expect(duration?.verdict).toBe('pass');
    expect(duration?.value).toBeGreaterThan(35);
    expect(duration?.value).toBeLessThanOrEqual(50);
  });

  it('is inconclusive with too little traffic, and when no proxy reports', async () => {
    const store = new LiveWindowStore();
    simulate(store, 60, { [CANARY]: { requests: 0.5, errorRate: 0, latencyMs: 40 } });
    const canary = canaryWith([{ name: 'request-success-rate', thresholdRange: { min: 99 } }]);
    const [few] = await Promise.all(buildChecks({ canary }, sources(store, T0 + 60_000)).map((c) => c.evaluate(signal)));
    expect(few?.verdict).toBe('inconclusive');
    expect(few?.reason).toMatch(/only 30 requests in the last 1m, fewer than the 50 needed/);
    const [silent] = await Promise.all(buildChecks({ canary }, sources(new LiveWindowStore(), T0)).map((c) => c.evaluate(signal)));
    expect(silent?.verdict).toBe('inconclusive');
    expect(silent?.reason).toMatch(/no proxy in namespace test has reported live counters/);
  });

  it('counts only traffic after the step was acknowledged', async () => {
    const store = new LiveWindowStore();
    // 30 s of a broken canary at the previous weight, then 30 s healthy at the new one.
    simulate(store, 30, { [CANARY]: { requests: 10, errorRate: 0.5, latencyMs: 5 } });
    const healthy = counters(300 + 600, 150, 5); // cumulative: 150 errors so far, none after
    for (let s = 1; s <= 30; s++) {
      healthy.requests = 300 + 20 * s;
      store.ingest(NS, { proxyId: 'waypoint-1', startedAt: T0 - 5000, at: T0 + 30_000 + s * 1000, snapshotVersion: 'v2', backends: { [CANARY]: { ...healthy } } });
    }
    const canary = canaryWith([{ name: 'request-success-rate', thresholdRange: { min: 99 } }]);
    const [result] = await Promise.all(buildChecks({ canary, stepStartedAt: T0 + 30_000 }, sources(store, T0 + 60_000)).map((c) => c.evaluate(signal)));
    expect(result?.verdict).toBe('pass');
    expect(result?.value).toBe(100);
  });

  it('compares canary with primary in compare mode, and marks the error-rate check continuous', async () => {
    const store = new LiveWindowStore();
    simulate(store, 30, { [CANARY]: { requests: 100, errorRate: 0.05, latencyMs: 120 }, [PRIMARY]: { requests: 100, errorRate: 0.001, latencyMs: 20 } });
    const canary = canaryWith([{ name: 'request-success-rate' }, { name: 'request-duration' }], compareJudge());
    // Evaluated every tick only with its evidence anchored at the start of the step.
    expect(buildChecks({ canary }, sources(store, T0 + 30_000)).map((c) => c.continuous)).toEqual([false, false]);
    const checks = buildChecks({ canary, stepStartedAt: T0 }, sources(store, T0 + 30_000));
    expect(checks.map((c) => c.continuous)).toEqual([true, false]);
    const [success, duration] = await Promise.all(checks.map((c) => c.evaluate(signal)));
    expect(success?.verdict).toBe('fail');
    expect(success?.value).toBeCloseTo(95, 6);
    expect(success?.primaryValue).toBeCloseTo(99.9, 6);
    expect(success?.reason).toMatch(/^request-success-rate: canary error rate 5% \(150 of 3,000\) vs primary 0\.1% \(3 of 3,000\) over 30s: more than 10% worse than the primary at 95% confidence/);
    expect(duration?.verdict).toBe('fail');
    expect(duration?.primaryValue).toBeLessThan(duration?.value ?? 0);
  });

  it('applies a thresholdRange on top of the comparison', async () => {
    const store = new LiveWindowStore();
    // Canary as good as the primary, but both too slow for the threshold.
    simulate(store, 30, { [CANARY]: { requests: 50, errorRate: 0, latencyMs: 800 }, [PRIMARY]: { requests: 50, errorRate: 0, latencyMs: 800 } });
    const canary = canaryWith([{ name: 'request-duration', thresholdRange: { max: 500 } }], compareJudge());
    const [result] = await Promise.all(buildChecks({ canary }, sources(store, T0 + 30_000)).map((c) => c.evaluate(signal)));
    expect(result?.verdict).toBe('fail');
    expect(result?.reason).toMatch(/^request-duration \d+ ms is above the maximum of 500 ms .*; request-duration: canary and primary requests typically take as long/);
  });

  it('runs builtin MetricTemplates against the live counters', async () => {
    const store = new LiveWindowStore();
    simulate(store, 60, { [CANARY]: { requests: 10, errorRate: 0.03, latencyMs: 5 } });
    const canary = canaryWith([{ name: 'errors', templateRef: { name: 'error-rate' }, thresholdRange: { max: 1 } }]);
    const templates = [template('error-rate', { type: 'builtin' }, 'request-error-rate')];
    const [result] = await Promise.all(buildChecks({ canary }, sources(store, T0 + 60_000, templates)).map((c) => c.evaluate(signal)));
    expect(result?.verdict).toBe('fail');
    expect(result?.reason).toBe('errors 3% is above the maximum of 1% (over 1m, 600 requests)');
  });

  it('renders Flagger variables into a template query before running it', async () => {
    const queries: string[] = [];
    const recording = recordingProvider(queries, 42);
    const canary = canaryWith([
      { name: 'queue', templateRef: { name: 'lag', namespace: 'shared' }, thresholdRange: { max: 100 }, interval: '2m', templateVariables: { topic: 'orders' } },
    ]);
    const templates = [template('lag', { type: 'prometheus', address: 'http://prom:9090' }, 'max(lag{ns="{{ namespace }}",app="{{target}}",topic="{{ variables.topic }}"}[{{ interval }}])', 'shared')];
    const [result] = await Promise.all(buildChecks({ canary }, sources(new LiveWindowStore(), T0, templates, recording)).map((c) => c.evaluate(signal)));
    expect(queries).toEqual(['max(lag{ns="test",app="podinfo",topic="orders"}[2m])']);
    expect(result).toMatchObject({ verdict: 'pass', value: 42, reason: 'queue 42 is at or below the maximum of 100 (over 2m)' });
  });

  it('turns a missing template, a bad template and a provider failure into error results', async () => {
    const failing: MetricProvider = {
      type: 'prometheus',
      description: 'Prometheus at http://127.0.0.1:1',
      query: async () => {
        throw new MetricQueryError('unreachable', 'Prometheus at http://127.0.0.1:1 is unreachable: connect ECONNREFUSED 127.0.0.1:1');
      },
      builtinQuery: () => '',
      requestCount: async () => 0,
      traffic: async () => [],
      healthCheck: async () => undefined,
    };
    const canary = canaryWith([
      { name: 'missing', templateRef: { name: 'nope' }, thresholdRange: { max: 1 } },
      { name: 'typo', templateRef: { name: 'typo' }, thresholdRange: { max: 1 } },
      { name: 'down', templateRef: { name: 'down' }, thresholdRange: { max: 1 } },
    ]);
    const templates = [
      template('typo', { type: 'prometheus', address: 'http://prom:9090' }, 'x{a="{{ variables.missing }}"}'),
      template('down', { type: 'prometheus', address: 'http://127.0.0.1:1' }, 'up'),
    ];
    const results = await Promise.all(buildChecks({ canary }, sources(new LiveWindowStore(), T0, templates, failing)).map((c) => c.evaluate(signal)));
    expect(results.map((r) => r.verdict)).toEqual(['error', 'error', 'error']);
    expect(results[0]?.reason).toBe('missing: MetricTemplate test/nope not found');
    expect(results[1]?.reason).toMatch(/^typo: \{\{ variables.missing \}\}: the metric sets no templateVariables.missing/);
    expect(results[2]?.reason).toBe('down: Prometheus at http://127.0.0.1:1 is unreachable: connect ECONNREFUSED 127.0.0.1:1');
  });

  describe('while the step sends the canary only mirrored copies', () => {
    it('judges the builtin metrics on the copies the canary answered, and says so', async () => {
      const store = new LiveWindowStore();
      simulateMirror(store, 30, 20, { errorRate: 0.3, latencyMs: 70 });
      const canary = canaryWith([
        { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '30s' },
        { name: 'request-duration', thresholdRange: { max: 500 }, interval: '30s' },
      ]);
      const [success, duration] = await Promise.all(buildChecks({ canary, stepStartedAt: T0, mirrored: true }, sources(store, T0 + 30_000)).map((c) => c.evaluate(signal)));
      expect(success).toMatchObject({ verdict: 'fail', value: 70, reason: 'request-success-rate 70% is below the minimum of 99% (over 30s, 600 mirrored copies)' });
      expect(duration?.verdict).toBe('pass');
      expect(duration?.value).toBeGreaterThan(50);
      expect(duration?.value).toBeLessThanOrEqual(75);
      // Read as served traffic, the same step has nothing to judge: what the bug looked like.
      const [blind] = await Promise.all(buildChecks({ canary, stepStartedAt: T0 }, sources(store, T0 + 30_000)).map((c) => c.evaluate(signal)));
      expect(blind?.verdict).toBe('inconclusive');
      expect(blind?.reason).toMatch(/no data/);
    });

    it('says "no mirrored copies" when the canary answered none', async () => {
      const store = new LiveWindowStore();
      simulate(store, 30, { [PRIMARY]: { requests: 10, errorRate: 0, latencyMs: 5 } });
      const canary = canaryWith([{ name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '30s' }]);
      const [result] = await Promise.all(buildChecks({ canary, mirrored: true }, sources(store, T0 + 30_000)).map((c) => c.evaluate(signal)));
      expect(result?.verdict).toBe('inconclusive');
      expect(result?.reason).toMatch(/backend podinfo-canary answered no mirrored copies in the window/);
    });

    it('compares the canary\'s copies with the requests the primary served, early check included', async () => {
      const store = new LiveWindowStore();
      simulateMirror(store, 10, 50, { errorRate: 0.2, latencyMs: 20 });
      const canary = canaryWith([{ name: 'request-success-rate' }], compareJudge());
      const checks = buildChecks({ canary, stepStartedAt: T0, mirrored: true }, sources(store, T0 + 10_000));
      expect(checks.map((c) => c.continuous)).toEqual([true]);
      const [result] = await Promise.all(checks.map((c) => c.evaluate(signal)));
      expect(result?.verdict).toBe('fail');
      expect(result?.value).toBeCloseTo(80, 6);
      expect(result?.primaryValue).toBe(100);
      expect(result?.reason).toMatch(/canary error rate 20% \(100 of 500\) vs primary 0% \(0 of 500\)/);
    });

    it('runs builtin templates on the copies and renders {{ mirrored }} into Prometheus templates', async () => {
      const store = new LiveWindowStore();
      simulateMirror(store, 60, 10, { errorRate: 0.03, latencyMs: 5 });
      const queries: string[] = [];
      const recording = recordingProvider(queries, 1);
      const canary = canaryWith([
        { name: 'errors', templateRef: { name: 'error-rate' }, thresholdRange: { max: 1 } },
        { name: 'five-xx', templateRef: { name: 'five-xx' }, thresholdRange: { max: 5 } },
      ]);
      const templates = [
        template('error-rate', { type: 'builtin' }, 'request-error-rate'),
        template('five-xx', { type: 'prometheus', address: 'http://prom:9090' }, 'sum(rate(sluice_requests_total{backend="{{ service }}-canary",mirrored="{{ mirrored }}",code=~"5.."}[{{ interval }}]))'),
      ];
      const [errors, fiveXx] = await Promise.all(buildChecks({ canary, mirrored: true }, sources(store, T0 + 60_000, templates, recording)).map((c) => c.evaluate(signal)));
      expect(errors?.reason).toBe('errors 3% is above the maximum of 1% (over 1m, 600 mirrored copies)');
      expect(fiveXx?.verdict).toBe('pass');
      expect(queries).toEqual(['sum(rate(sluice_requests_total{backend="podinfo-canary",mirrored="true",code=~"5.."}[1m]))']);
    });
  });
});
