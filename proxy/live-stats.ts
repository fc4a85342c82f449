// The in-memory per-backend counters that the control plane reads (about every second) to
// judge canaries without Prometheus. Cumulative, like Prometheus counters. Mirrored copies are
// counted apart: a canary that only receives copies (a mirror step, blue/green with mirroring)
// is judged on them, and they never blend into the counts of the traffic clients saw.
import { LATENCY_BUCKETS_MS, type BackendCounters, type StatsReport } from './stats-report.js';

function emptyCounters(): BackendCounters {
  return { requests: 0, errors: 0, latencyCounts: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0), latencySumMs: 0 };
}

function count(table: Map<string, BackendCounters>, backend: string, isError: boolean, latencyMs: number): void {
  let c = table.get(backend);
  if (c === undefined) {
    c = emptyCounters();
    table.set(backend, c);
  }
  c.requests++;
  if (isError) c.errors++;
  c.latencySumMs += latencyMs;
  const i = bucketIndex(latencyMs);
  c.latencyCounts[i] = (c.latencyCounts[i] ?? 0) + 1;
}

function copy(table: Map<string, BackendCounters>): Record<string, BackendCounters> {
  const out: Record<string, BackendCounters> = {};
  for (const [name, c] of table) out[name] = { requests: c.requests, errors: c.errors, latencyCounts: [...c.latencyCounts], latencySumMs: c.latencySumMs };
  return out;
}

export class LiveStats {
  private readonly backends = new Map<string, BackendCounters>();
  private readonly mirrored = new Map<string, BackendCounters>();

  /** Counts one request that was answered by, or failed against, `backend`. */
  record(backend: string, isError: boolean, latencyMs: number): void {
    count(this.backends, backend, isError, latencyMs);
  }

  /** Counts one mirrored copy that `backend` answered, or failed to answer. */
  recordMirrored(backend: string, isError: boolean, latencyMs: number): void {
    count(this.mirrored, backend, isError, latencyMs);
  }

  /** A copy of the counters, safe to serialise or keep. */
  report(proxyId: string, startedAt: number, snapshotVersion: string, at: number): StatsReport {
    return { proxyId, startedAt, at, snapshotVersion, backends: copy(this.backends), mirrored: copy(this.mirrored) };
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
