// The builtin metrics, defined once over plain traffic counts so that every provider means the
// same thing by them: success rate is the percentage of requests not answered with a 5xx (or
// not answered at all), duration quantiles are estimated from the latency histogram the way
// Prometheus' histogram_quantile() does.

import { BUILTIN_QUERIES, type BuiltinMetric, type BuiltinQuery } from '../crds/index.js';
import type { MetricUnit } from './judges/format.js';
import type { BackendTraffic } from './providers/provider.js';
import { histogramQuantile } from './stats/histogram.js';

/** What a Canary's builtin metric (no templateRef) runs: Flagger's request-duration is the p99. */
export const BUILTIN_METRIC_QUERY: Readonly<Record<BuiltinMetric, BuiltinQuery>> = {
  'request-success-rate': 'request-success-rate',
  'request-duration': 'request-duration-p99',
};

export function isBuiltinQuery(query: string): query is BuiltinQuery {
  return (BUILTIN_QUERIES as readonly string[]).includes(query);
}

const QUANTILES: Readonly<Partial<Record<BuiltinQuery, number>>> = {
  'request-duration-p50': 0.5,
  'request-duration-p90': 0.9,
  'request-duration-p95': 0.95,
  'request-duration-p99': 0.99,
};

/** The quantile a duration query asks for, or undefined for the other queries. */
export function durationQuantile(query: BuiltinQuery): number | undefined {
  return QUANTILES[query];
}

export function builtinUnit(query: BuiltinQuery): MetricUnit {
  if (durationQuantile(query) !== undefined) return 'ms';
  if (query === 'request-rate') return 'none';
  return 'percent';
}

/**
 * The value of a builtin query over one window of traffic, or undefined when the window holds
 * no requests (a rate of 0/0 or a quantile of nothing is "no data", not zero).
 */
export function evaluateBuiltin(query: BuiltinQuery, traffic: BackendTraffic, windowMs: number): number | undefined {
  const q = durationQuantile(query);
  if (q !== undefined) return histogramQuantile(q, traffic.latency);
  if (query === 'request-rate') return windowMs > 0 ? traffic.requests / (windowMs / 1000) : undefined;
  if (traffic.requests === 0) return undefined;
  const errorPercent = (100 * traffic.errors) / traffic.requests;
  return query === 'request-error-rate' ? errorPercent : 100 - errorPercent;
}
