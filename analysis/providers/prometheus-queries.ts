// PromQL for the builtin metrics, written against the proxy's own metrics (proxy/metrics.ts):
//   sluice_requests_total{route, backend, code, mirrored}          counter; code "0" when no response
//   sluice_request_duration_seconds{route, backend, mirrored}      histogram
// plus the `namespace` label that the scrape configuration adds to every waypoint target.
// A backend's served requests are `mirrored!="true"` (which also matches series of proxies
// older than the label on durations); its mirrored copies, `mirrored="true"`, are read instead
// for the backends a mirror step judges on them.
//
// Two PromQL pitfalls are avoided on purpose: a selector for 5xx responses matches no series
// at all while the canary is healthy (so errors are `... or vector(0)`), and a success rate
// computed from non-5xx series vanishes when every request fails (so it is 100 × (1 − errors /
// all), which stays defined exactly when there was traffic).

import type { BuiltinQuery } from '../../crds/index.js';
import { durationQuantile } from '../builtin-metrics.js';
import { readsMirrored } from './provider.js';

export const REQUESTS_METRIC = 'sluice_requests_total';
export const DURATION_METRIC = 'sluice_request_duration_seconds';

/** A PromQL string literal (Go escaping, which is what PromQL uses). */
function literal(value: string): string {
  return JSON.stringify(value);
}

/** PromQL duration of whole milliseconds: "90s" for 1m30s, "1500ms" for 1.5s. */
export function promDuration(ms: number): string {
  if (!(ms >= 1) || !Number.isFinite(ms)) throw new Error(`window must be at least 1ms, got ${ms}`);
  const whole = Math.round(ms);
  return whole % 1000 === 0 ? `${whole / 1000}s` : `${whole}ms`;
}

export interface SeriesSelector {
  namespace: string;
  backend: string;
  windowMs: number;
  /** Backends whose mirrored copies are read instead of their served requests. */
  mirroredBackends?: readonly string[];
}

function seriesLabels(s: SeriesSelector): string {
  const mirrored = readsMirrored(s, s.backend) ? 'mirrored="true"' : 'mirrored!="true"';
  return `namespace=${literal(s.namespace)},backend=${literal(s.backend)},${mirrored}`;
}

function requestSelector(s: SeriesSelector, extra = ''): string {
  return `${REQUESTS_METRIC}{${seriesLabels(s)}${extra}}`;
}

function errorSelector(s: SeriesSelector): string {
  // 5xx answers; "0" would be a request that got no response at all.
  return requestSelector(s, ',code=~"5..|0"');
}

function bucketSelector(s: SeriesSelector): string {
  return `${DURATION_METRIC}_bucket{${seriesLabels(s)}}`;
}

/** Requests served in the window (a float: increase() extrapolates to the window's edges). */
export function requestCountQuery(s: SeriesSelector): string {
  return `sum(increase(${requestSelector(s)}[${promDuration(s.windowMs)}]))`;
}

export function errorCountQuery(s: SeriesSelector): string {
  return `sum(increase(${errorSelector(s)}[${promDuration(s.windowMs)}])) or vector(0)`;
}

/** Increase of every latency bucket in the window, one series per `le`. */
export function latencyBucketsQuery(s: SeriesSelector): string {
  return `sum by (le) (increase(${bucketSelector(s)}[${promDuration(s.windowMs)}]))`;
}

export function builtinPromQL(query: BuiltinQuery, s: SeriesSelector): string {
  const w = promDuration(s.windowMs);
  const all = `sum(rate(${requestSelector(s)}[${w}]))`;
  const errors = `(sum(rate(${errorSelector(s)}[${w}])) or vector(0))`;
  const q = durationQuantile(query);
  if (q !== undefined) return `histogram_quantile(${q}, sum by (le) (rate(${bucketSelector(s)}[${w}]))) * 1000`;
  switch (query) {
    case 'request-success-rate':
      return `100 * (1 - ${errors} / ${all})`;
    case 'request-error-rate':
      return `100 * ${errors} / ${all}`;
    case 'request-rate':
      return all;
    default:
      throw new Error(`no PromQL for builtin query ${query}`);
  }
}
