import { LiveStats, bucketIndex } from '../../../proxy/live-stats.js';
import { LATENCY_BUCKETS_MS } from '../../../proxy/stats-report.js';

describe('live stats', () => {
  it('puts a latency in the first bucket whose bound is not below it', () => {
    expect(bucketIndex(0)).toBe(0);
    expect(bucketIndex(0.25)).toBe(0);
    expect(bucketIndex(0.2501)).toBe(1);
    expect(bucketIndex(7)).toBe(LATENCY_BUCKETS_MS.indexOf(7.5));
    expect(bucketIndex(30_000)).toBe(LATENCY_BUCKETS_MS.length - 1);
    expect(bucketIndex(30_001)).toBe(LATENCY_BUCKETS_MS.length);
  });

  it('counts requests, errors and latencies per backend, and reports a copy', () => {
    const stats = new LiveStats();
    stats.record('canary', false, 0.1);
    stats.record('canary', true, 40);
    stats.record('primary', false, 2);
    const report = stats.report('proxy-1', 100, 'v3', 200);
    expect(report).toMatchObject({ proxyId: 'proxy-1', startedAt: 100, at: 200, snapshotVersion: 'v3' });
    const canary = report.backends.canary;
    expect(canary?.requests).toBe(2);
    expect(canary?.errors).toBe(1);
    expect(canary?.latencySumMs).toBeCloseTo(40.1);
    expect(canary?.latencyCounts).toHaveLength(LATENCY_BUCKETS_MS.length + 1);
    expect(canary?.latencyCounts[0]).toBe(1);
    expect(canary?.latencyCounts[LATENCY_BUCKETS_MS.indexOf(50)]).toBe(1);
    expect(report.backends.primary?.requests).toBe(1);

    stats.record('canary', false, 1);
    expect(report.backends.canary?.requests).toBe(2);
  });

  it('counts mirrored copies apart from the requests clients were answered from', () => {
    const stats = new LiveStats();
    stats.record('primary', false, 3);
    stats.recordMirrored('canary', true, 60);
    stats.recordMirrored('canary', false, 70);
    const report = stats.report('proxy-1', 100, 'v3', 200);
    expect(Object.keys(report.backends)).toEqual(['primary']);
    expect(Object.keys(report.mirrored ?? {})).toEqual(['canary']);
    expect(report.mirrored?.canary).toMatchObject({ requests: 2, errors: 1, latencySumMs: 130 });
    expect(report.mirrored?.canary?.latencyCounts[LATENCY_BUCKETS_MS.indexOf(75)]).toBe(2);
  });
});
