// Prometheus over its HTTP API (instant queries), the provider for MetricTemplates of type
// prometheus and, when the operator is given a Prometheus, for the builtin metrics.
//
// Every way a query can go wrong ends in a MetricQueryError whose message says what happened
// in terms a person can act on: which server, what it answered, and what the query returned
// instead of one number.

import https from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import type { BuiltinQuery } from '../../crds/index.js';
import type { Histogram } from '../stats/histogram.js';
import { MetricQueryError, type BackendTraffic, type MetricProvider, type QueryContext, type TrafficTick } from './provider.js';
import { builtinPromQL, errorCountQuery, latencyBucketsQuery, requestCountQuery } from './prometheus-queries.js';

/** Credentials read from the MetricTemplate's Secret by the operator. */
export type PrometheusCredentials = { type: 'bearer'; token: string } | { type: 'basic'; username: string; password: string };

export interface PrometheusProviderOptions {
  /** Base URL, e.g. http://prometheus.monitoring:9090 (a path prefix is kept). */
  address: string;
  credentials?: PrometheusCredentials;
  insecureSkipVerify?: boolean;
  /** Per-query timeout. Default 10 s. */
  timeoutMs?: number;
}

/**
 * Credentials from a Secret's decoded data, with Flagger's keys: `token` for a bearer token,
 * or `username` and `password` for basic auth.
 */
export function credentialsFromSecret(data: Readonly<Record<string, string>>): PrometheusCredentials | undefined {
  if (data.token !== undefined && data.token !== '') return { type: 'bearer', token: data.token.trim() };
  if (data.username !== undefined && data.password !== undefined) return { type: 'basic', username: data.username, password: data.password };
  return undefined;
}

interface PromSample {
  metric?: Record<string, string>;
  value?: [number, string];
  values?: unknown[];
}

interface PromResponse {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

const MAX_QUERY_IN_MESSAGE = 300;

function shorten(text: string, max = MAX_QUERY_IN_MESSAGE): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** Prometheus writes sample values as strings, "NaN" and "+Inf" included. */
function parseSampleValue(text: unknown): number {
  if (typeof text !== 'string') return Number.NaN;
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

function seriesName(metric: Record<string, string> | undefined): string {
  if (!metric || Object.keys(metric).length === 0) return '{}';
  const { __name__: name, ...labels } = metric;
  const inner = Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');
  return `${name ?? ''}{${inner}}`;
}

export class PrometheusProvider implements MetricProvider {
  readonly type = 'prometheus' as const;
  readonly description: string;
  private readonly http: AxiosInstance;
  private readonly timeoutMs: number;

  constructor(private readonly options: PrometheusProviderOptions) {
    const address = options.address.replace(/\/+$/, '');
    this.description = `Prometheus at ${address}`;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (options.credentials?.type === 'bearer') headers.Authorization = `Bearer ${options.credentials.token}`;
    this.http = axios.create({
      baseURL: address,
      timeout: this.timeoutMs,
      headers,
      auth: options.credentials?.type === 'basic' ? { username: options.credentials.username, password: options.credentials.password } : undefined,
      httpsAgent: options.insecureSkipVerify ? new https.Agent({ rejectUnauthorized: false }) : undefined,
      // Status codes are ours to interpret: Prometheus explains errors in the body.
      validateStatus: () => true,
      // Prometheus answers JSON; keep the raw text when it does not (a proxy's HTML error page).
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      // Queries go to one server we were told about; following redirects elsewhere would leak credentials.
      maxRedirects: 0,
    });
  }

  /** Runs an instant query and returns the raw result, mapping every failure to a clear error. */
  private async instantQuery(query: string, signal?: AbortSignal): Promise<{ resultType: string; result: unknown }> {
    let status: number;
    let body: string;
    try {
      const response = await this.http.post<string>('/api/v1/query', new URLSearchParams({ query }), { signal });
      status = response.status;
      body = typeof response.data === 'string' ? response.data : String(response.data);
    } catch (err) {
      throw this.transportError(err, signal);
    }
    let parsed: PromResponse | undefined;
    try {
      parsed = JSON.parse(body) as PromResponse;
    } catch {
      parsed = undefined;
    }
    if (parsed?.status === 'error' || status >= 400) {
      const detail = parsed?.error ? `${parsed.errorType ? `${parsed.errorType}: ` : ''}${parsed.error}` : shorten(body, 200) || '(empty body)';
      const kind = status === 400 || parsed?.errorType === 'bad_data' ? 'invalid-query' : 'http';
      throw new MetricQueryError(kind, `${this.description} answered HTTP ${status} to query ${shorten(query)}: ${detail}`);
    }
    if (parsed === undefined || parsed.status !== 'success' || typeof parsed.data?.resultType !== 'string') {
      throw new MetricQueryError('bad-response', `${this.description} answered HTTP ${status} with something that is not a Prometheus API response: ${shorten(body, 200)}`);
    }
    return { resultType: parsed.data.resultType, result: parsed.data.result };
  }

  private transportError(err: unknown, signal?: AbortSignal): MetricQueryError {
    if (signal?.aborted) return new MetricQueryError('aborted', `query to ${this.description} was cancelled`);
    if (axios.isAxiosError(err)) {
      if (err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT') {
        return new MetricQueryError('timeout', `${this.description} did not answer within ${this.timeoutMs / 1000}s`);
      }
      if (err.code === 'ERR_CANCELED') return new MetricQueryError('aborted', `query to ${this.description} was cancelled`);
      return new MetricQueryError('unreachable', `${this.description} is unreachable: ${err.message}${err.code && !err.message.includes(err.code) ? ` (${err.code})` : ''}`);
    }
    return new MetricQueryError('unreachable', `${this.description} is unreachable: ${err instanceof Error ? err.message : String(err)}`);
  }

  /** One finite number, from a scalar or a one-sample vector. */
  async query(query: string, context: Partial<QueryContext> = {}): Promise<number> {
    const { resultType, result } = await this.instantQuery(query, context.signal);
    let value: number;
    if (resultType === 'scalar') {
      value = parseSampleValue(Array.isArray(result) ? result[1] : undefined);
    } else if (resultType === 'vector') {
      const samples = Array.isArray(result) ? (result as PromSample[]) : [];
      if (samples.length === 0) {
        throw new MetricQueryError('no-data', `no data: query ${shorten(query)} returned an empty result (no matching series in the window)`);
      }
      if (samples.length > 1) {
        const names = samples.slice(0, 3).map((s) => seriesName(s.metric)).join(', ');
        throw new MetricQueryError(
          'non-scalar',
          `query ${shorten(query)} returned ${samples.length} series (${names}${samples.length > 3 ? ', …' : ''}); it must return exactly one value, e.g. wrap it in sum()`,
        );
      }
      value = parseSampleValue(samples[0]?.value?.[1]);
    } else {
      throw new MetricQueryError('non-scalar', `query ${shorten(query)} returned a ${resultType}; it must return one value (an instant vector with one series, or a scalar)`);
    }
    if (Number.isNaN(value)) {
      throw new MetricQueryError('no-data', `no data: query ${shorten(query)} returned NaN (typically 0/0: no requests in the window)`);
    }
    if (!Number.isFinite(value)) throw new MetricQueryError('not-finite', `query ${shorten(query)} returned ${value > 0 ? '+Inf' : '-Inf'}`);
    return value;
  }

  builtinQuery(name: BuiltinQuery, context: QueryContext & { backend: string }): string {
    return builtinPromQL(name, context);
  }

  async requestCount(context: QueryContext & { backend: string }): Promise<number> {
    return this.countOrZero(requestCountQuery(context), context.signal);
  }

  /** A count that is zero, not "no data", when nothing matched: no series means no requests. */
  private async countOrZero(query: string, signal?: AbortSignal): Promise<number> {
    try {
      return Math.round(await this.query(query, { signal }));
    } catch (err) {
      if (err instanceof MetricQueryError && err.kind === 'no-data') return 0;
      throw err;
    }
  }

  private async latencyHistogram(query: string, signal?: AbortSignal): Promise<Histogram | undefined> {
    const { resultType, result } = await this.instantQuery(query, signal);
    if (resultType !== 'vector' || !Array.isArray(result)) throw new MetricQueryError('bad-response', `latency buckets query returned a ${resultType}`);
    const buckets = (result as PromSample[])
      .map((s) => ({ le: parseSampleValue(s.metric?.le), cumulative: parseSampleValue(s.value?.[1]) }))
      .filter((b) => !Number.isNaN(b.le))
      .sort((a, b) => a.le - b.le);
    if (buckets.length === 0) return undefined;
    if (buckets[buckets.length - 1]?.le !== Infinity) throw new MetricQueryError('bad-response', 'latency histogram has no +Inf bucket');
    const upperBoundsMs = buckets.slice(0, -1).map((b) => b.le * 1000);
    const counts: number[] = [];
    let previous = 0;
    for (const b of buckets) {
      // Cumulative to per-bucket; increase() can make neighbours disagree slightly, never negative.
      const cumulative = Number.isFinite(b.cumulative) ? Math.max(previous, Math.round(b.cumulative)) : previous;
      counts.push(cumulative - previous);
      previous = cumulative;
    }
    return { upperBoundsMs, counts };
  }

  /** One tick covering the window: Prometheus' counters have no finer truthful resolution than the scrape. */
  async traffic(backends: readonly string[], context: QueryContext): Promise<TrafficTick[]> {
    const to = Date.now();
    const entries = await Promise.all(
      backends.map(async (backend): Promise<[string, BackendTraffic]> => {
        const selector = { namespace: context.namespace, backend, windowMs: context.windowMs, mirroredBackends: context.mirroredBackends };
        const [requests, errors, latency] = await Promise.all([
          this.countOrZero(requestCountQuery(selector), context.signal),
          this.countOrZero(errorCountQuery(selector), context.signal),
          this.latencyHistogram(latencyBucketsQuery(selector), context.signal),
        ]);
        return [backend, { requests, errors: Math.min(errors, requests), latency: latency ?? { upperBoundsMs: [], counts: [0] } }];
      }),
    );
    return [{ from: to - context.windowMs, to, backends: Object.fromEntries(entries) }];
  }

  async healthCheck(signal?: AbortSignal): Promise<void> {
    // What Flagger does: a query every Prometheus can answer proves the API works end to end
    // (address, credentials, TLS), which /-/healthy behind an auth proxy would not.
    const value = await this.query('vector(1)', { signal });
    if (value !== 1) throw new MetricQueryError('bad-response', `${this.description} answered vector(1) with ${value}`);
  }
}
