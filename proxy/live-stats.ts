// The in-memory per-backend counters that the control plane reads (about every second) to
// judge canaries without Prometheus. Cumulative, like Prometheus counters.
import { LATENCY_BUCKETS_MS, type BackendCounters, type StatsReport } from './stats-report.js';

export class LiveStats {
  private readonly backends = new Map<string, BackendCounters>();

  /** Counts one request that was answered by, or failed against, `backend`. */
  record(backend: string, isError: boolean, latencyMs: number): void {
    let c = this.backends.get(backend);
    if (c === undefined) {
      c = { requests: 0, errors: 0, latencyCounts: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0), latencySumMs: 0 };
      this.backends.set(backend, c);
    }
    c.requests++;
    if (isError) c.errors++;
    c.latencySumMs += latencyMs;
    const i = bucketIndex(latencyMs);
    c.latencyCounts[i] = (c.latencyCounts[i] ?? 0) + 1;
  }

  /** A copy of the counters, safe to serialise or keep. */
  report(proxyId: string, startedAt: number, snapshotVersion: string, at: number): StatsReport {
    const backends: Record<string, BackendCounters> = {};
    for (const [name, c] of this.backends) {
      backends[name] = { requests: c.requests, errors: c.errors, latencyCounts: [...c.latencyCounts], latencySumMs: c.latencySumMs };
    }
    return { proxyId, startedAt, at, snapshotVersion, backends };
  }
}

/** Index of the first bucket whose upper bound is >= the value; the last index is +Inf. */
export function bucketIndex(latencyMs: number): number {
  let lo = 0;
  let hi = LATENCY_BUCKETS_MS.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((LATENCY_BUCKETS_MS[mid] as number) >= latencyMs) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
