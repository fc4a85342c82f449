// The live counters a proxy reports to the control plane about every second, and that the
// builtin metric provider (analysis/) judges canaries on. This file is the contract between
// the data plane and the control plane: both import it, neither redefines it.

/**
 * Upper bounds (milliseconds) of the latency histogram buckets kept per backend. The last
 * count in `latencyCounts` is the +Inf bucket. Fine below 1 ms and coarse past seconds, so
 * that quantiles are accurate both for loopback and for slow upstreams.
 */
export const LATENCY_BUCKETS_MS: readonly number[] = [
  0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 25, 35, 50, 75, 100, 150, 250, 350, 500, 750, 1000, 1500, 2500, 5000, 10000,
  30000,
];

/** Counters of one backend since the proxy started (monotonic, like Prometheus counters). */
export interface BackendCounters {
  /** Requests answered by (or failed against) this backend (in `mirrored`: copies). */
  requests: number;
  /** Responses with status >= 500 plus upstream failures (connect error, reset, timeout). */
  errors: number;
  /** Non-cumulative counts per bucket of LATENCY_BUCKETS_MS, plus one final +Inf bucket. */
  latencyCounts: number[];
  /** Sum of all observed latencies in milliseconds. */
  latencySumMs: number;
}

/** One report from one proxy. Counters are cumulative; consumers compute windows by delta. */
export interface StatsReport {
  /** Stable identity of the reporting proxy process (pod name, or host:pid locally). */
  proxyId: string;
  /** Process start time (epoch ms): a change tells consumers that counters were reset. */
  startedAt: number;
  /** When the counters were read (epoch ms). */
  at: number;
  /** Snapshot version applied when the counters were read. */
  snapshotVersion: string;
  /** Keyed by backend name as it appears in the config snapshot. */
  backends: Record<string, BackendCounters>;
  /**
   * Mirrored copies sent to each backend, counted apart from `backends`: requests copies
   * answered or failed, errors (5xx, or no answer: connect failure, reset, mirror timeout),
   * latency from sending the copy to the end of its answer. Copies given up on before they
   * could be judged (the client went away, the body outran the buffer) are not counted.
   * Absent in reports of proxies older than this field.
   */
  mirrored?: Record<string, BackendCounters>;
}
