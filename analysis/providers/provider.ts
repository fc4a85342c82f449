// What the analysis needs from a source of metrics, whichever it is: Prometheus over its HTTP
// API, or the proxies' own live counters. The judges never talk to a provider; the checks
// (../checks.ts) fetch through this interface and hand plain numbers to the judges.

import type { BuiltinQuery, MetricProviderType } from '../../crds/index.js';
import type { Histogram } from '../stats/histogram.js';

/** Why a query gave no number. `no-data` is not a failure of the provider: the canary saw no traffic. */
export type MetricQueryErrorKind =
  | 'unreachable'
  | 'timeout'
  | 'aborted'
  | 'http'
  | 'bad-response'
  | 'non-scalar'
  | 'no-data'
  | 'not-finite'
  | 'invalid-query';

export class MetricQueryError extends Error {
  override readonly name = 'MetricQueryError';
  constructor(
    readonly kind: MetricQueryErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** Where and over what time a query runs. */
export interface QueryContext {
  /** The Canary's namespace: the live counters of its proxies, the `namespace` label in Prometheus. */
  namespace: string;
  /** Length of the window the query aggregates over (the metric's interval). */
  windowMs: number;
  /**
   * Windows never reach before this instant (epoch ms): the moment every proxy acknowledged the
   * current traffic step. Only the live provider can honour it; PromQL windows are fixed.
   */
  notBefore?: number;
  /**
   * Live provider only: the window runs from this instant (epoch ms) to now, whatever
   * `windowMs` says. The sequential test needs its evidence anchored at the step's start: a
   * window sliding along while it is evaluated every second would not keep its guarantee.
   */
  since?: number;
  /** Aborts the query (the checks runner's deadline). */
  signal?: AbortSignal;
  /**
   * Backends judged on the mirrored copies they answered instead of served requests: the
   * canary while the current step sends it nothing but copies (a mirror step, blue/green with
   * mirroring). Builtin queries, request counts and traffic of these backends read the
   * mirrored series (`mirrored="true"` in Prometheus).
   */
  mirroredBackends?: readonly string[];
}

/** Whether `backend`'s mirrored copies stand for it in this context. */
export function readsMirrored(context: Pick<QueryContext, 'mirroredBackends'>, backend: string): boolean {
  return context.mirroredBackends?.includes(backend) ?? false;
}

/** Traffic of one backend in one window. */
export interface BackendTraffic {
  requests: number;
  errors: number;
  latency: Histogram;
}

/** One span of time with the traffic of each backend asked for. */
export interface TrafficTick {
  from: number;
  to: number;
  backends: Record<string, BackendTraffic>;
}

export interface MetricProvider {
  readonly type: MetricProviderType;
  /** Where the numbers come from, for messages: "Prometheus at http://prom:9090". */
  readonly description: string;
  /**
   * Runs a query in the provider's language (PromQL; for the live counters, one of the builtin
   * query names applied to `backend`) and resolves to one finite number, or rejects with a
   * MetricQueryError.
   */
  query(query: string, context: QueryContext & { backend: string }): Promise<number>;
  /** The provider's query text for a builtin query of one backend (what `query` then runs). */
  builtinQuery(name: BuiltinQuery, context: QueryContext & { backend: string }): string;
  /** Requests the backend served in the window, to hold back verdicts on too little traffic. */
  requestCount(context: QueryContext & { backend: string }): Promise<number>;
  /**
   * Requests, errors and latency of several backends over the window, as consecutive ticks
   * when the provider has them (live counters, for the sequential test) or as one tick.
   */
  traffic(backends: readonly string[], context: QueryContext): Promise<TrafficTick[]>;
  /** Resolves when the provider answers queries; rejects with a MetricQueryError saying why not. */
  healthCheck(signal?: AbortSignal): Promise<void>;
}
