import { LiveWindowStore, emptyCounters, latencyHistogram, mirroredSeries } from '../../../analysis/live-window.js';
import { histogramQuantile } from '../../../analysis/stats/histogram.js';
import { LATENCY_BUCKETS_MS, type BackendCounters, type StatsReport } from '../../../proxy/stats-report.js';

/** Counters with `requests` requests, `errors` errors, all with latency in the bucket of `latencyMs`. */
function counters(requests: number, errors: number, latencyMs = 1): BackendCounters {
  const c = emptyCounters();
  const bucket = LATENCY_BUCKETS_MS.findIndex((upper) => latencyMs <= upper);
  c.latencyCounts[bucket === -1 ? LATENCY_BUCKETS_MS.length : bucket] = requests;
  c.latencySumMs = requests * latencyMs;
  c.requests = requests;
  c.errors = errors;
  return c;
}

function report(proxyId: string, startedAt: number, at: number, backends: Record<string, BackendCounters>): StatsReport {
  return { proxyId, startedAt, at, snapshotVersion: '1', backends };
}

const NS = 'shop';

describe('live counter windows', () => {
  it('keeps mirrored copies in series of their own, with the same reset handling', () => {
    const store = new LiveWindowStore();
    const withCopies = (at: number, startedAt: number, served: BackendCounters, copies: BackendCounters): StatsReport => ({
      ...report('p1', startedAt, at, { 'web-primary': served }),
      mirrored: { 'web-canary': copies },
    });
    store.ingest(NS, withCopies(1000, 0, counters(10, 0), counters(8, 1, 60)));
    store.ingest(NS, withCopies(2000, 0, counters(30, 0), counters(26, 4, 60)));
    // The proxy restarts: both tables start again from zero.
    store.ingest(NS, withCopies(3000, 2500, counters(5, 0), counters(5, 5, 60)));
    const w = store.window(NS, 1000, 3000);
    expect(w['web-primary']?.requests).toBe(25);
    expect(w['web-canary']).toBeUndefined();
    expect(w[mirroredSeries('web-canary')]).toMatchObject({ requests: 23, errors: 8 });
    expect(histogramQuantile(0.5, latencyHistogram(w[mirroredSeries('web-canary')] as BackendCounters))).toBeGreaterThan(50);
    // A report of a proxy older than mirrored counters carries none: nothing breaks.
    store.ingest(NS, report('p2', 0, 2500, { 'web-primary': counters(1, 0) }));
    expect(store.window(NS, 1000, 3000, [mirroredSeries('web-canary')])[mirroredSeries('web-canary')]?.requests).toBe(23);
  });


  it('is the growth of the counters between the window edges', () => {
    const store = new LiveWindowStore();
    store.ingest(NS, report('p1', 0, 1000, { a: counters(10, 1) }));
    store.ingest(NS, report('p1', 0, 2000, { a: counters(25, 2) }));
    store.ingest(NS, report('p1', 0, 3000, { a: counters(40, 5) }));
    const w = store.window(NS, 1000, 3000);
    expect(w.a?.requests).toBe(30);
    expect(w.a?.errors).toBe(4);
    expect(store.window(NS, 2000, 3000).a?.requests).toBe(15);
    // Reports after `to` do not count.
    expect(store.window(NS, 1000, 2500).a?.requests).toBe(15);
  });

  it('sums over proxies, each with its own baseline', () => {
    const store = new LiveWindowStore();
    store.ingest(NS, report('p1', 0, 1000, { a: counters(100, 0) }));
    store.ingest(NS, report('p2', 0, 1100, { a: counters(5000, 10) }));
    store.ingest(NS, report('p1', 0, 2000, { a: counters(110, 1) }));
    store.ingest(NS, report('p2', 0, 2100, { a: counters(5020, 12) }));
    const w = store.window(NS, 1500, 2500);
    expect(w.a?.requests).toBe(30);
    expect(w.a?.errors).toBe(3);
  });

  it('keeps the counts of a proxy that restarted and adds the new process from zero', () => {
    const store = new LiveWindowStore();
    store.ingest(NS, report('p1', 0, 1000, { a: counters(100, 1) }));
    store.ingest(NS, report('p1', 0, 2000, { a: counters(150, 2) }));
    // Restarted at 2500: counters begin again at zero.
    store.ingest(NS, report('p1', 2500, 3000, { a: counters(20, 1) }));
    store.ingest(NS, report('p1', 2500, 4000, { a: counters(45, 1) }));
    const w = store.window(NS, 1000, 4000);
    expect(w.a?.requests).toBe(50 + 45);
    expect(w.a?.errors).toBe(1 + 1);
  });

  it('treats a counter that went down without a restart as a reset, like rate()', () => {
    const store = new LiveWindowStore();
    store.ingest(NS, report('p1', 0, 1000, { a: counters(100, 5) }));
    store.ingest(NS, report('p1', 0, 2000, { a: counters(8, 1) }));
    store.ingest(NS, report('p1', 0, 3000, { a: counters(20, 1) }));
    expect(store.window(NS, 1000, 3000).a?.requests).toBe(20);
  });

  it('keeps what a vanished proxy counted and adds a proxy that appeared mid-window', () => {
    const store = new LiveWindowStore();
    store.ingest(NS, report('old', 0, 1000, { a: counters(10, 0) }));
    store.ingest(NS, report('old', 0, 2000, { a: counters(30, 0) }));
    store.ingest(NS, report('new', 2500, 3000, { a: counters(7, 0) }));
    store.ingest(NS, report('new', 2500, 4000, { a: counters(9, 0) }));
    expect(store.window(NS, 1000, 4000).a?.requests).toBe(20 + 9);
  });

  it('uses the first report as baseline for a proxy that started long before the store saw it', () => {
    // The operator restarted: the proxy's counters include hours of traffic before the window.
    const store = new LiveWindowStore();
    store.ingest(NS, report('p1', -3_600_000, 5000, { a: counters(1_000_000, 10) }));
    store.ingest(NS, report('p1', -3_600_000, 6000, { a: counters(1_000_050, 10) }));
    expect(store.window(NS, 0, 6000).a?.requests).toBe(50);
  });

  it('adds backends that appear later and keeps namespaces apart', () => {
    const store = new LiveWindowStore();
    store.ingest(NS, report('p1', 0, 1000, { a: counters(10, 0) }));
    store.ingest(NS, report('p1', 0, 2000, { a: counters(20, 0), b: counters(4, 4) }));
    store.ingest('other', report('q1', 0, 2000, { a: counters(999, 0) }));
    const w = store.window(NS, 1000, 2000);
    expect(w.a?.requests).toBe(10);
    expect(w.b?.errors).toBe(4);
    expect(Object.keys(store.window(NS, 1000, 2000, ['b']))).toEqual(['b']);
    expect(store.window('nowhere', 0, 5000)).toEqual({});
  });

  it('splits a window into ticks whose counts add up to the window', () => {
    const store = new LiveWindowStore();
    for (let s = 1; s <= 10; s++) store.ingest(NS, report('p1', 0, s * 1000, { a: counters(s * 100, s) }));
    const ticks = store.series(NS, 1000, 10_000, 1000);
    expect(ticks).toHaveLength(9);
    expect(ticks.every((t) => t.backends.a?.requests === 100 && t.backends.a.errors === 1)).toBe(true);
    expect(ticks.reduce((sum, t) => sum + (t.backends.a?.requests ?? 0), 0)).toBe(store.window(NS, 1000, 10_000).a?.requests);
  });

  it('stamps reports with the receive time when given, so skewed proxy clocks cannot move counts', () => {
    const store = new LiveWindowStore();
    store.ingest(NS, report('skewed', 0, 999_999, { a: counters(10, 0) }), 1000);
    store.ingest(NS, report('skewed', 0, 999_999, { a: counters(30, 0) }), 2000);
    expect(store.window(NS, 1000, 2000).a?.requests).toBe(20);
    expect(store.lastReportAt(NS)).toBe(2000);
  });

  it('forgets reports older than the retention but keeps a baseline', () => {
    const store = new LiveWindowStore({ retentionMs: 5000 });
    for (let s = 1; s <= 20; s++) store.ingest(NS, report('p1', 0, s * 1000, { a: counters(s * 10, 0) }));
    expect(store.window(NS, 15_000, 20_000).a?.requests).toBe(50);
    store.ingest(NS, report('gone', 0, 1000, { a: counters(1, 0) }));
    store.prune(30_000);
    expect(store.lastReportAt(NS)).toBeUndefined();
  });

  it('rejects malformed reports', () => {
    const store = new LiveWindowStore();
    const bad = counters(1, 0);
    bad.latencyCounts.pop();
    expect(() => store.ingest(NS, report('p1', 0, 1000, { a: bad }))).toThrow(/latency buckets/);
    expect(() => store.ingest(NS, report('p1', 0, 1000, { a: { ...counters(1, 0), errors: -1 } }))).toThrow(/non-negative/);
  });

  it('gives latency histograms whose quantiles follow the reported buckets', () => {
    const store = new LiveWindowStore();
    const c = counters(0, 0);
    c.latencyCounts[LATENCY_BUCKETS_MS.indexOf(10)] = 99;
    c.latencyCounts[LATENCY_BUCKETS_MS.indexOf(250)] = 1;
    c.requests = 100;
    store.ingest(NS, report('p1', 1000, 1000, { a: emptyCounters() }));
    store.ingest(NS, report('p1', 1000, 2000, { a: c }));
    const w = store.window(NS, 1000, 2000).a as BackendCounters;
    const p50 = histogramQuantile(0.5, latencyHistogram(w)) as number;
    expect(p50).toBeGreaterThan(7.5);
    expect(p50).toBeLessThanOrEqual(10);
    expect(histogramQuantile(0.995, latencyHistogram(w))).toBeGreaterThan(150);
  });
});
