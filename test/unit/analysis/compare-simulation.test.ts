// Simulated live counters: two waypoint proxies share the traffic, report cumulative counters
// every second, and the compare judge looks at the error rates every second from the moment
// the traffic step was acknowledged. Seeded, so every run of this file sees the same traffic.

import { buildChecks, canaryBackends } from '../../../analysis/checks.js';
import { LiveWindowStore, emptyCounters } from '../../../analysis/live-window.js';
import { BuiltinProvider } from '../../../analysis/providers/builtin.js';
import { ErrorRateEvidence } from '../../../analysis/stats/sequential-rate-test.js';
import type { BackendCounters } from '../../../proxy/stats-report.js';
import { canaryWith, compareJudge } from './fixtures.js';
import { binomial, mulberry32, poisson } from './prng.js';

const NS = 'test';
const T0 = 1_700_000_000_000;
const PROXIES = ['waypoint-a', 'waypoint-b'];
const REQUESTS_PER_SECOND = 100; // per backend, split over the proxies
const judge = compareJudge(); // the CRD defaults: confidence 0.95, maxRelativeDegradation 0.1, minRequests 50
const canary = canaryWith([{ name: 'request-success-rate' }], judge);
const backends = canaryBackends(canary);

function copy(backends: Record<string, BackendCounters>): Record<string, BackendCounters> {
  const out: Record<string, BackendCounters> = {};
  for (const name in backends) {
    const c = backends[name] as BackendCounters;
    out[name] = { requests: c.requests, errors: c.errors, latencyCounts: c.latencyCounts.slice(), latencySumMs: c.latencySumMs };
  }
  return out;
}

/** Traffic of one simulated rollout step, advanced one second at a time. */
class Simulation {
  readonly store = new LiveWindowStore();
  private readonly totals = new Map<string, Record<string, BackendCounters>>();
  private second = 0;

  constructor(
    private readonly random: () => number,
    private readonly errorRates: Record<string, number>,
  ) {
    for (const proxy of PROXIES) {
      const zero: Record<string, BackendCounters> = {};
      for (const b of Object.keys(errorRates)) zero[b] = emptyCounters();
      this.totals.set(proxy, zero);
      // Every proxy reported its state when the step began.
      this.store.ingest(NS, { proxyId: proxy, startedAt: T0 - 60_000, at: T0, snapshotVersion: 'step', backends: copy(zero) }, T0);
    }
  }

  /** One more second of traffic; each proxy reports at its own offset within the second. */
  advance(): number {
    this.second++;
    PROXIES.forEach((proxy, i) => {
      const counters = this.totals.get(proxy) as Record<string, BackendCounters>;
      for (const [backend, rate] of Object.entries(this.errorRates)) {
        const c = counters[backend] as BackendCounters;
        const n = poisson(this.random, REQUESTS_PER_SECOND / PROXIES.length);
        c.requests += n;
        c.errors += binomial(this.random, n, rate);
        c.latencyCounts[5] = (c.latencyCounts[5] ?? 0) + n;
      }
      const at = T0 + (this.second - 1) * 1000 + 300 + 400 * i;
      this.store.ingest(NS, { proxyId: proxy, startedAt: T0 - 60_000, at, snapshotVersion: 'step', backends: copy(counters) }, at);
    });
    return T0 + this.second * 1000;
  }
}

describe('compare judge on simulated live counters', () => {
  it('fails a canary with 5% errors against a 0.1% primary within 10 s, every time', async () => {
    const random = mulberry32(5);
    const failedAt: number[] = [];
    for (let run = 0; run < 200; run++) {
      const sim = new Simulation(random, { [backends.canary]: 0.05, [backends.primary]: 0.001 });
      let now = T0;
      const provider = new BuiltinProvider({ store: sim.store, now: () => now });
      // The checks the operator runs every tick between analysis intervals.
      const checks = buildChecks({ canary, stepStartedAt: T0 }, { builtin: provider, template: () => undefined, providerFor: () => provider }).filter((c) => c.continuous);
      expect(checks).toHaveLength(1);
      let verdictAt: number | undefined;
      for (let s = 1; s <= 10 && verdictAt === undefined; s++) {
        now = sim.advance();
        const result = await (checks[0] as (typeof checks)[number]).evaluate(new AbortController().signal);
        if (result.verdict === 'fail') verdictAt = s;
      }
      failedAt.push(verdictAt ?? Infinity);
    }
    failedAt.sort((a, b) => a - b);
    expect(failedAt[failedAt.length - 1]).toBeLessThanOrEqual(10);
    // Typically within a few seconds: the median run needs well under the 10 s allowed.
    expect(failedAt[100]).toBeLessThanOrEqual(5);
  });

  it('does not fail a healthy canary more often than the confidence allows (1,000 runs, checked every second for 2 minutes)', async () => {
    const random = mulberry32(6);
    const runs = 1000;
    const seconds = 120;
    const alpha = 1 - judge.confidence;
    let failures = 0;
    for (let run = 0; run < runs; run++) {
      const sim = new Simulation(random, { [backends.canary]: 0.001, [backends.primary]: 0.001 });
      // Incremental form of the judge's statistic over the same one-second ticks the live
      // provider hands it; the first runs are cross-checked against the full judge below.
      const evidence = new ErrorRateEvidence({ alpha, maxRelativeDegradation: judge.maxRelativeDegradation });
      let failed = false;
      for (let s = 1; s <= seconds && !failed; s++) {
        const now = sim.advance();
        const tick = sim.store.window(NS, now - 1000, now);
        evidence.add({
          canary: { requests: tick[backends.canary]?.requests ?? 0, errors: tick[backends.canary]?.errors ?? 0 },
          primary: { requests: tick[backends.primary]?.requests ?? 0, errors: tick[backends.primary]?.errors ?? 0 },
        });
        failed = evidence.result().reject;
      }
      if (run < 5 && !failed) {
        const now = T0 + seconds * 1000;
        const provider = new BuiltinProvider({ store: sim.store, now: () => now });
        const [check] = buildChecks({ canary, stepStartedAt: T0 }, { builtin: provider, template: () => undefined, providerFor: () => provider });
        const full = await check?.evaluate(new AbortController().signal);
        expect(full?.values.evidence).toBeCloseTo(evidence.result().likelihoodRatio, 9);
      }
      if (failed) failures++;
    }
    expect(failures).toBeLessThanOrEqual(alpha * runs);
  });
});
