// The zero-dependency provider: the live counters every proxy reports to the control plane
// about once a second (../live-window.ts). No Prometheus to install, windows that start exactly
// when the proxies acknowledged a traffic step, and one-second ticks for the sequential test.

import { BUILTIN_QUERIES, type BuiltinQuery } from '../../crds/index.js';
import { evaluateBuiltin, isBuiltinQuery } from '../builtin-metrics.js';
import { emptyCounters, latencyHistogram, mirroredSeries, type LiveWindowStore } from '../live-window.js';
import type { BackendCounters } from '../../proxy/stats-report.js';
import { MetricQueryError, readsMirrored, type BackendTraffic, type MetricProvider, type QueryContext, type TrafficTick } from './provider.js';

export interface BuiltinProviderOptions {
  store: LiveWindowStore;
  /** The control plane's clock (epoch ms). */
  now?: () => number;
  /** Tick length of the series handed to the sequential test. Default 1 s. */
  tickMs?: number;
  /** Reports older than this mean the proxies stopped reporting. Default 10 s. */
  staleAfterMs?: number;
}

/** The store's series a backend is read from: its served requests, or its mirrored copies. */
function seriesKey(context: QueryContext, backend: string): string {
  return readsMirrored(context, backend) ? mirroredSeries(backend) : backend;
}

function toTraffic(c: BackendCounters | undefined): BackendTraffic {
  const counters = c ?? emptyCounters();
  return { requests: counters.requests, errors: counters.errors, latency: latencyHistogram(counters) };
}

export class BuiltinProvider implements MetricProvider {
  readonly type = 'builtin' as const;
  readonly description = "the proxies' live counters";
  private readonly now: () => number;
  private readonly tickMs: number;
  private readonly staleAfterMs: number;

  constructor(private readonly options: BuiltinProviderOptions) {
    this.now = options.now ?? Date.now;
    this.tickMs = options.tickMs ?? 1000;
    this.staleAfterMs = options.staleAfterMs ?? 10_000;
  }

  private span(context: QueryContext): { from: number; to: number } {
    const to = this.now();
    if (context.since !== undefined) return { from: Math.min(context.since, to), to };
    const from = Math.max(to - context.windowMs, context.notBefore ?? -Infinity);
    return { from, to };
  }

  /** No report at all from a namespace's proxies is not "no traffic": say so instead of judging on zeros. */
  private assertReporting(namespace: string, to: number): void {
    const last = this.options.store.lastReportAt(namespace);
    if (last === undefined) throw new MetricQueryError('no-data', `no data: no proxy in namespace ${namespace} has reported live counters`);
    if (to - last > this.staleAfterMs) {
      throw new MetricQueryError('no-data', `no data: the proxies in namespace ${namespace} last reported live counters ${Math.round((to - last) / 1000)}s ago`);
    }
  }

  async query(query: string, context: QueryContext & { backend: string }): Promise<number> {
    const name = query.trim();
    if (!isBuiltinQuery(name)) {
      throw new MetricQueryError('invalid-query', `the builtin provider has no query ${JSON.stringify(name)}; it knows ${BUILTIN_QUERIES.join(', ')}`);
    }
    const { from, to } = this.span(context);
    this.assertReporting(context.namespace, to);
    const key = seriesKey(context, context.backend);
    const traffic = toTraffic(this.options.store.window(context.namespace, from, to, [key])[key]);
    const value = evaluateBuiltin(name, traffic, to - from);
    if (value === undefined) {
      const none = readsMirrored(context, context.backend) ? 'answered no mirrored copies' : 'served no requests';
      throw new MetricQueryError('no-data', `no data: backend ${context.backend} ${none} in the window`);
    }
    return value;
  }

  builtinQuery(name: BuiltinQuery): string {
    return name;
  }

  async requestCount(context: QueryContext & { backend: string }): Promise<number> {
    const { from, to } = this.span(context);
    const key = seriesKey(context, context.backend);
    return this.options.store.window(context.namespace, from, to, [key])[key]?.requests ?? 0;
  }

  async traffic(backends: readonly string[], context: QueryContext): Promise<TrafficTick[]> {
    const { from, to } = this.span(context);
    this.assertReporting(context.namespace, to);
    const keys = backends.map((b) => seriesKey(context, b));
    return this.options.store.series(context.namespace, from, to, this.tickMs, keys).map((tick) => ({
      from: tick.from,
      to: tick.to,
      backends: Object.fromEntries(backends.map((b, i) => [b, toTraffic(tick.backends[keys[i] as string])])),
    }));
  }

  async healthCheck(): Promise<void> {
    // The store lives in the control plane's memory; it always answers.
  }
}
