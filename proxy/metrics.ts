// Prometheus metrics of one proxy instance, in a registry of its own (several proxies can
// share a test process). No namespace label: the scrape configuration adds it.
//
// The per-request metrics (request count and duration) are the hot path: prom-client hashes
// the label set on every increment and observation, which cost ~8% of the proxy's
// throughput. They are kept instead in plain per-(route, backend) slots, found with two map
// lookups on strings that come from the snapshot, and handed to prom-client at scrape time.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type HistogramConfiguration, type MetricObjectWithValues, type MetricValueWithName } from 'prom-client';

/** Seconds; fine below a millisecond (loopback, sidecar hops) and up to the 30 s timeouts. */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** Label values for requests that matched no rule and so reached no backend. */
export const NO_ROUTE = '(none)';

export type EjectedCounter = () => Iterable<{ listener: string; backend: string; ejected: number }>;

interface PendingCount {
  readonly labels: { route: string; backend: string; code: string; mirrored: string };
  count: number;
}

interface SeriesSlot {
  readonly route: string;
  readonly backend: string;
  readonly codes: Map<number, PendingCount>;
  readonly mirroredCodes: Map<number, PendingCount>;
  duration: DurationSeries | undefined;
  mirroredDuration: DurationSeries | undefined;
}

interface DurationSeries {
  readonly labels: { route: string; backend: string; mirrored: string };
  /** Non-cumulative counts per bucket of DURATION_BUCKETS_SECONDS, then +Inf. */
  readonly counts: number[];
  sum: number;
  count: number;
}

function observe(series: DurationSeries, seconds: number): void {
  const bounds = DURATION_BUCKETS_SECONDS;
  let i = 0;
  while (i < bounds.length && seconds > (bounds[i] as number)) i++;
  series.counts[i] = (series.counts[i] as number) + 1;
  series.sum += seconds;
  series.count++;
}

type DurationLabel = 'route' | 'backend' | 'mirrored' | 'le';

/**
 * A prom-client Histogram whose series live in plain arrays that the hot path updates
 * directly; the registry renders it like any other histogram (cumulative buckets, +Inf,
 * _sum, _count).
 */
class RequestDurationHistogram extends Histogram<DurationLabel> {
  private all: DurationSeries[] | undefined;
  private readonly metricName: string;
  private readonly metricHelp: string;

  constructor(config: HistogramConfiguration<DurationLabel>) {
    super(config);
    this.all = [];
    this.metricName = config.name;
    this.metricHelp = config.help;
  }

  series(route: string, backend: string, mirrored: boolean): DurationSeries {
    const s: DurationSeries = { labels: { route, backend, mirrored: mirrored ? 'true' : 'false' }, counts: new Array<number>(DURATION_BUCKETS_SECONDS.length + 1).fill(0), sum: 0, count: 0 };
    this.all?.push(s);
    return s;
  }

  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<DurationLabel>>> {
    const values: MetricValueWithName<DurationLabel>[] = [];
    const bucketName = `${this.metricName}_bucket`;
    for (const s of this.all ?? []) {
      let cumulative = 0;
      DURATION_BUCKETS_SECONDS.forEach((le, i) => {
        cumulative += s.counts[i] as number;
        values.push({ labels: { ...s.labels, le }, value: cumulative, metricName: bucketName });
      });
      values.push({ labels: { ...s.labels, le: '+Inf' }, value: s.count, metricName: bucketName });
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.metricName}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.metricName}_count` });
    }
    // The shape prom-client's own histogram returns. Its typings disagree with its runtime
    // (`type` is the string 'histogram', not the numeric enum; no `collect` member), hence
    // the cast.
    const result = { name: this.metricName, help: this.metricHelp, type: 'histogram', aggregator: 'sum', values };
    return result as unknown as MetricObjectWithValues<MetricValueWithName<DurationLabel>>;
  }

  /** The registry renders text from this when it exists; same data as get(). */
  async getForPromString(): Promise<MetricObjectWithValues<MetricValueWithName<DurationLabel>>> {
    return this.get();
  }

  override reset(): void {
    // Also called by the base constructor, before `all` exists.
    for (const s of this.all ?? []) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}

export class ProxyMetrics {
  readonly registry = new Registry();

  private readonly duration = new RequestDurationHistogram({
    name: 'sluice_request_duration_seconds',
    help: 'Time from the arrival of a request to the end of its response; for mirrored copies (mirrored="true"), from sending the copy to the end of its answer.',
    labelNames: ['route', 'backend', 'mirrored'],
    buckets: [...DURATION_BUCKETS_SECONDS],
    registers: [this.registry],
  });
  private readonly upstreamErrors = new Counter({
    name: 'sluice_upstream_errors_total',
    help: 'Tries that failed without a response (kind: connect-failure, reset, timeout), by route and backend.',
    labelNames: ['route', 'backend', 'kind'] as const,
    registers: [this.registry],
  });
  private readonly retries = new Counter({
    name: 'sluice_retries_total',
    help: 'Tries made after a failed one, by route and backend.',
    labelNames: ['route', 'backend'] as const,
    registers: [this.registry],
  });
  private readonly retriesDenied = new Counter({
    name: 'sluice_retry_budget_exhausted_total',
    help: 'Retries not made because the retry budget was used up.',
    labelNames: ['route', 'backend'] as const,
    registers: [this.registry],
  });
  private readonly ejections = new Counter({
    name: 'sluice_outlier_ejections_total',
    help: 'Endpoints ejected by outlier detection, by listener and backend.',
    labelNames: ['listener', 'backend'] as const,
    registers: [this.registry],
  });
  private readonly mirrorDropped = new Counter({
    name: 'sluice_mirror_dropped_total',
    help: 'Mirrored copies not sent or abandoned (reason: in-flight-limit, no-endpoint, body-overflow, client-gone).',
    labelNames: ['route', 'backend', 'reason'] as const,
    registers: [this.registry],
  });
  private readonly faults = new Counter({
    name: 'sluice_faults_injected_total',
    help: 'Faults injected, by route and kind (abort, delay).',
    labelNames: ['route', 'kind'] as const,
    registers: [this.registry],
  });
  private readonly configApplies = new Counter({
    name: 'sluice_config_applies_total',
    help: 'Snapshots received, by result (applied, rejected).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  private readonly configVersion = new Gauge({
    name: 'sluice_config_version_info',
    help: 'Always 1, labelled with the version of the snapshot in use.',
    labelNames: ['version'] as const,
    registers: [this.registry],
  });
  private readonly configLastApply = new Gauge({
    name: 'sluice_config_last_apply_timestamp_seconds',
    help: 'When the snapshot in use was applied (Unix time).',
    registers: [this.registry],
  });

  /** route → backend → slot */
  private readonly slots = new Map<string, Map<string, SeriesSlot>>();
  /** Every count of every slot, for the scrape-time flush. */
  private readonly pendingRequests: PendingCount[] = [];
  // Counted in a plain map and exported at scrape time: two label lookups per request saved.
  private readonly inFlightByListener = new Map<string, number>();

  constructor(ejectedCounter: EjectedCounter, collectProcessMetrics: boolean) {
    new Gauge({
      name: 'sluice_ejected_endpoints',
      help: 'Endpoints currently ejected by outlier detection, by listener and backend.',
      labelNames: ['listener', 'backend'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const e of ejectedCounter()) this.set({ listener: e.listener, backend: e.backend }, e.ejected);
      },
    });
    const pending = this.pendingRequests;
    new Counter({
      name: 'sluice_requests_total',
      help: 'Requests answered, by route, backend, status code and whether they were mirrored copies (code 0: no response; 499: client went away).',
      labelNames: ['route', 'backend', 'code', 'mirrored'] as const,
      registers: [this.registry],
      collect() {
        for (const p of pending) {
          if (p.count === 0) continue;
          this.inc(p.labels, p.count);
          p.count = 0;
        }
      },
    });
    const inFlight = this.inFlightByListener;
    new Gauge({
      name: 'sluice_requests_in_flight',
      help: 'Requests being served, by listener.',
      labelNames: ['listener'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [listener, n] of inFlight) this.set({ listener }, n);
      },
    });
    if (collectProcessMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Counts one request (or mirrored copy) and, when given, its duration. */
  recordRequest(route: string, backend: string, code: number, mirrored: boolean, seconds: number | undefined): void {
    let byBackend = this.slots.get(route);
    if (byBackend === undefined) {
      byBackend = new Map();
      this.slots.set(route, byBackend);
    }
    let slot = byBackend.get(backend);
    if (slot === undefined) {
      slot = { route, backend, codes: new Map(), mirroredCodes: new Map(), duration: undefined, mirroredDuration: undefined };
      byBackend.set(backend, slot);
    }
    const codes = mirrored ? slot.mirroredCodes : slot.codes;
    let p = codes.get(code);
    if (p === undefined) {
      p = { labels: { route, backend, code: String(code), mirrored: mirrored ? 'true' : 'false' }, count: 0 };
      codes.set(code, p);
      this.pendingRequests.push(p);
    }
    p.count++;
    if (seconds === undefined) return;
    // Created on first use, so that a backend never mirrored to has no mirrored series.
    if (mirrored) {
      slot.mirroredDuration ??= this.duration.series(route, backend, true);
      observe(slot.mirroredDuration, seconds);
    } else {
      slot.duration ??= this.duration.series(route, backend, false);
      observe(slot.duration, seconds);
    }
  }

  requestStarted(listener: string): void {
    this.inFlightByListener.set(listener, (this.inFlightByListener.get(listener) ?? 0) + 1);
  }

  requestEnded(listener: string): void {
    this.inFlightByListener.set(listener, (this.inFlightByListener.get(listener) ?? 1) - 1);
  }

  upstreamError(route: string, backend: string, kind: string): void {
    this.upstreamErrors.inc({ route, backend, kind });
  }

  retry(route: string, backend: string): void {
    this.retries.inc({ route, backend });
  }

  retryDenied(route: string, backend: string): void {
    this.retriesDenied.inc({ route, backend });
  }

  ejected(listener: string, backend: string): void {
    this.ejections.inc({ listener, backend });
  }

  mirrorDrop(route: string, backend: string, reason: string): void {
    this.mirrorDropped.inc({ route, backend, reason });
  }

  faultInjected(route: string, kind: 'abort' | 'delay'): void {
    this.faults.inc({ route, kind });
  }

  configApplied(version: string, atMs: number): void {
    this.configApplies.inc({ result: 'applied' });
    this.configVersion.reset();
    this.configVersion.set({ version }, 1);
    this.configLastApply.set(atMs / 1000);
  }

  configRejected(): void {
    this.configApplies.inc({ result: 'rejected' });
  }

  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
