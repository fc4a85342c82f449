// The Sluice proxy as one object: traffic listeners, admin port, metrics and live counters,
// driven by snapshots from any ConfigSource. This is the surface that main.ts and the
// control-plane client use.
import { hostname } from 'node:os';
import { pino, type Logger } from 'pino';
import { buildPools } from './backend-pool.js';
import { compileSnapshot } from './compiled-snapshot.js';
import type { ApplyResult, ConfigSink } from './config-source.js';
import { AdminServer } from './admin-server.js';
import { DEFAULT_FORWARDER_OPTIONS, HttpForwarder, type ForwarderOptions, type SocketCounts } from './http-forwarder.js';
import { ListenerSet } from './listener-set.js';
import { LiveStats } from './live-stats.js';
import { ProxyMetrics } from './metrics.js';
import { countEjected } from './outlier-detector.js';
import type { Random } from './random.js';
import { validateSnapshot, type Snapshot } from './snapshot.js';
import type { StatsReport } from './stats-report.js';
import type { ActiveConfig, TrafficContext } from './traffic-context.js';
import { TrafficHandler } from './traffic-handler.js';

export interface ProxyServerOptions {
  /** Address the traffic listeners bind to. Default `0.0.0.0`. */
  readonly bindAddress?: string;
  /** Admin port (health, readiness, metrics, config); 0 picks a free one. Default 15000. */
  readonly adminPort?: number;
  /** Address of the admin port. Default: `bindAddress`. */
  readonly adminBindAddress?: string;
  /** Identity in stats reports. Default `<hostname>:<pid>`. */
  readonly proxyId?: string;
  readonly logger?: Logger;
  /** Log one line per request. Default false. */
  readonly accessLog?: boolean;
  /** Also export Node process metrics (CPU, memory, event loop). Default false. */
  readonly collectProcessMetrics?: boolean;
  /** How long `stop()` and removed listeners wait for requests in flight. Default 10000 ms. */
  readonly drainTimeoutMs?: number;
  /** Largest request head accepted (bytes). Default 16384. */
  readonly maxHeaderSize?: number;
  /** Idle client keep-alive connections are closed after this. Default 65000 ms. */
  readonly keepAliveTimeoutMs?: number;
  readonly forwarder?: Partial<ForwarderOptions>;
  /** Injected for deterministic tests. Default Math.random. */
  readonly random?: Random;
  /** Epoch ms, injected for tests. Default Date.now. */
  readonly now?: () => number;
}

export interface ConnectionCounts extends SocketCounts {
  /** Client connections on the traffic listeners. */
  readonly downstream: number;
}

export class ProxyServer implements ConfigSink {
  readonly metrics: ProxyMetrics;
  private readonly stats = new LiveStats();
  private readonly logger: Logger;
  private readonly forwarder: HttpForwarder;
  private readonly listeners: ListenerSet;
  private readonly admin: AdminServer;
  private readonly proxyId: string;
  private readonly startedAt = Date.now();
  private readonly now: () => number;
  private readonly mirrorCounts = new Map<string, number>();
  private active: ActiveConfig | undefined;
  private applying: Promise<unknown> = Promise.resolve();
  private started = false;
  private stopping = false;

  constructor(private readonly options: ProxyServerOptions = {}) {
    this.logger = options.logger ?? pino({ level: 'info' });
    this.proxyId = options.proxyId ?? `${hostname()}:${process.pid}`;
    this.now = options.now ?? Date.now;
    this.metrics = new ProxyMetrics(() => this.ejectedEndpoints(), options.collectProcessMetrics ?? false);
    this.forwarder = new HttpForwarder(this.logger, { ...DEFAULT_FORWARDER_OPTIONS, ...options.forwarder });
    const ctx: TrafficContext = {
      forwarder: this.forwarder,
      metrics: this.metrics,
      stats: this.stats,
      logger: this.logger,
      accessLog: options.accessLog ? this.logger.child({ log: 'access' }) : undefined,
      random: options.random ?? Math.random,
      now: this.now,
      mirrorsInFlight: (l) => this.mirrorCounts.get(l) ?? 0,
      mirrorStarted: (l) => this.mirrorCounts.set(l, (this.mirrorCounts.get(l) ?? 0) + 1),
      mirrorEnded: (l) => this.mirrorCounts.set(l, (this.mirrorCounts.get(l) ?? 1) - 1),
    };
    const handler = new TrafficHandler(ctx, () => this.active);
    this.listeners = new ListenerSet(
      handler,
      {
        bindAddress: options.bindAddress ?? '0.0.0.0',
        maxHeaderSize: options.maxHeaderSize ?? 16_384,
        keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 65_000,
      },
      options.drainTimeoutMs ?? 10_000,
      this.logger,
    );
    this.admin = new AdminServer(
      {
        notReadyReason: () => this.notReadyReason(),
        configView: () => this.configView(),
        statsView: () => this.statsReport(),
      },
      this.metrics,
      this.logger,
    );
  }

  /** Opens the admin port. Traffic listeners open as snapshots are applied (before or after). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.admin.listen(this.options.adminPort ?? 15000, this.options.adminBindAddress ?? this.options.bindAddress ?? '0.0.0.0');
  }

  /**
   * Validates `raw` and puts it in force: new listeners are bound first, then the snapshot is
   * swapped in one assignment (requests already running finish on the one they started
   * with), then listeners it dropped drain. On any error nothing changes. Calls are serialised.
   */
  applySnapshot(raw: unknown): Promise<ApplyResult> {
    const result = this.applying.then(() => this.applyNow(raw));
    this.applying = result.catch(() => undefined);
    return result;
  }

  get currentVersion(): string | undefined {
    return this.active?.compiled.version;
  }

  currentSnapshot(): Snapshot | undefined {
    return this.active?.compiled.source;
  }

  /** Ready: a snapshot is in force and the proxy is not shutting down. */
  get ready(): boolean {
    return this.notReadyReason() === undefined;
  }

  /** Actual port of each listener in force (listeners configured with port 0 get a free one). */
  listenerPorts(): Record<string, number> {
    return this.listeners.ports();
  }

  get adminPort(): number {
    return this.admin.port;
  }

  /** The live per-backend counters for the control plane (a copy). */
  statsReport(): StatsReport {
    return this.stats.report(this.proxyId, this.startedAt, this.currentVersion ?? '', Date.now());
  }

  /** Open sockets on both sides, for diagnostics and leak tests. */
  async connectionCounts(): Promise<ConnectionCounts> {
    return { downstream: await this.listeners.connectionCount(), ...this.forwarder.socketCounts() };
  }

  /** Graceful: unready, stop accepting, let requests in flight finish (bounded), close everything. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.logger.info('stopping: draining listeners');
    await this.applying;
    await this.listeners.closeAll();
    this.forwarder.destroy();
    await this.admin.close();
    this.logger.info('stopped');
  }

  private async applyNow(raw: unknown): Promise<ApplyResult> {
    if (this.stopping) return { ok: false, error: 'proxy is stopping' };
    const validated = validateSnapshot(raw);
    if (!validated.ok) {
      this.metrics.configRejected();
      this.logger.warn({ error: validated.error }, 'snapshot rejected');
      return validated;
    }
    const compiled = compileSnapshot(validated.snapshot);
    let transition;
    try {
      transition = await this.listeners.prepare(compiled.listeners);
    } catch (err) {
      this.metrics.configRejected();
      const error = `cannot bind listeners: ${(err as Error).message}`;
      this.logger.warn({ version: compiled.version, error }, 'snapshot rejected');
      return { ok: false, error };
    }
    const appliedAt = Date.now();
    this.active = { compiled, pools: buildPools(compiled, this.active?.pools), appliedAt };
    transition.commit();
    this.metrics.configApplied(compiled.version, appliedAt);
    this.logger.debug({ version: compiled.version, listeners: this.listeners.ports() }, 'snapshot applied');
    return { ok: true, version: compiled.version };
  }

  private notReadyReason(): string | undefined {
    if (this.stopping) return 'shutting down';
    if (this.active === undefined) return 'no configuration received yet';
    return undefined;
  }

  private configView(): unknown {
    const active = this.active;
    if (active === undefined) return { version: null, snapshot: null };
    return {
      version: active.compiled.version,
      appliedAt: new Date(active.appliedAt).toISOString(),
      listenerPorts: this.listeners.ports(),
      snapshot: active.compiled.source,
    };
  }

  private *ejectedEndpoints(): Iterable<{ listener: string; backend: string; ejected: number }> {
    const active = this.active;
    if (active === undefined) return;
    const now = this.now();
    for (const [listener, pools] of active.pools) {
      for (const [backend, pool] of pools) yield { listener, backend, ejected: countEjected(pool.endpoints, now) };
    }
  }
}
