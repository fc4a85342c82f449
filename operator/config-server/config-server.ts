// The control-plane side of the proxy stream (protocol in ./protocol.ts).
//
// The MeshRoute controller publishes one opaque snapshot per namespace with
// publish(namespace, version, snapshot). A proxy that connects gets the current snapshot at
// once; later versions reach the connected proxies of the namespace after a short debounce
// (latest wins: a burst of publications becomes one push). A slow proxy whose socket is full
// is not sent intermediate versions either: when it drains, it gets the latest.
//
// Every proxy answers each version with an ACK or a NACK; from those the server knows which
// version each connected proxy runs, which is what appliedBy()/isApplied()/waitUntilApplied()
// report and onAppliedChange() announces. Proxies also send live counters about every second,
// kept in `stats`.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { LineDecoder, LineTooLongError } from './line-decoder.js';
import { configServerMetrics, type ConfigServerMetrics } from './metrics.js';
import {
  encodeMessage,
  MAX_CLIENT_LINE_BYTES,
  NDJSON_CONTENT_TYPE,
  parseClientMessage,
  PROTOCOL_DEFAULTS,
  STREAM_PATH,
  type ClientMessage,
} from './protocol.js';
import { decideAccess } from './proxy-identity.js';
import { StatsStore } from './stats-store.js';
import type { Authenticator } from './token-authenticator.js';
import { appliedByAll, VersionLedger } from './version-ledger.js';

export interface TlsMaterial {
  cert: string | Buffer;
  key: string | Buffer;
}

export interface ConfigServerOptions {
  authenticator: Authenticator;
  log: Logger;
  registry: Registry;
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** Serve HTTPS with this certificate. Required unless `plaintext` is set. */
  tls?: TlsMaterial;
  /** Serve plain HTTP (local development and tests only). */
  plaintext?: boolean;
  /** Quiet time before a new version is pushed. Default 50 ms. */
  debounceMs?: number;
  heartbeatIntervalMs?: number;
  idleTimeoutMs?: number;
  /** ServiceAccount names allowed to read a namespace's configuration; absent: any in the namespace. */
  allowedServiceAccounts?: readonly string[];
  /** How long a disconnected proxy's last stats report is kept. Default 5 minutes. */
  statsRetentionMs?: number;
  /**
   * Accept streams from the start. Default true. The operator starts with false and serves
   * only while it leads: a standby answers 503, and the proxy retries (reaching the leader).
   */
  serving?: boolean;
}

/** What the server knows about one connected proxy. */
export interface ProxyStatus {
  proxyId: string;
  namespace: string;
  serviceAccount: string;
  remoteAddress: string;
  connectedAt: number;
  lastSeenAt: number;
  /** Last version written to the proxy. */
  sentVersion?: string;
  /** Last version the proxy acknowledged (runs now). */
  ackedVersion?: string;
  ackedAt?: number;
  /** The proxy's last rejection, cleared by its next ACK. */
  nack?: { version: string; error: string; at: number };
}

export interface AppliedState {
  namespace: string;
  /** The version published last (what every proxy should run); undefined before any publication. */
  version: string | undefined;
  connected: number;
  /** Connected proxies that acknowledged `version` (or a later publication). */
  applied: number;
  /** Connected proxies that rejected `version`. */
  nacked: number;
  proxies: ProxyStatus[];
}

export class NotAppliedError extends Error {
  constructor(
    message: string,
    readonly state: AppliedState,
  ) {
    super(message);
    this.name = 'NotAppliedError';
  }
}

export interface WaitOptions {
  /** Default 30 s. */
  timeoutMs?: number;
  /** Fewest connected proxies that count as "all" (with none connected nothing is applied). Default 1. */
  minProxies?: number;
  signal?: AbortSignal;
}

interface Session {
  status: ProxyStatus;
  ackedSeq: number | undefined;
  res: ServerResponse;
  /** The socket buffer is full: hold writes until 'drain'. */
  blocked: boolean;
  closed: boolean;
}

interface Published {
  version: string;
  seq: number;
  snapshot: unknown;
  publishedAt: number;
  line?: Buffer;
}

interface Waiter {
  version: string;
  minProxies: number;
  resolve: (state: AppliedState) => void;
  reject: (err: Error) => void;
}

interface NamespaceState {
  name: string;
  ledger: VersionLedger;
  current: Published | undefined;
  sessions: Set<Session>;
  debounce: NodeJS.Timeout | undefined;
  notifyPending: boolean;
  waiters: Set<Waiter>;
}

export type AppliedListener = (state: AppliedState) => void;

export class ConfigServer {
  readonly stats: StatsStore;
  private readonly server: Server | HttpsServer;
  private readonly log: Logger;
  private readonly metrics: ConfigServerMetrics;
  private readonly namespaces = new Map<string, NamespaceState>();
  private readonly listeners = new Set<AppliedListener>();
  private readonly debounceMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly idleTimeoutMs: number;
  private heartbeat: NodeJS.Timeout | undefined;
  private closing = false;
  private serving: boolean;

  constructor(private readonly options: ConfigServerOptions) {
    if (!options.tls && !options.plaintext) throw new Error('the config server needs a TLS certificate, or plaintext: true for local use');
    this.log = options.log.child({ component: 'config-server' });
    this.metrics = configServerMetrics(options.registry);
    this.serving = options.serving ?? true;
    this.debounceMs = options.debounceMs ?? 50;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? PROTOCOL_DEFAULTS.heartbeatIntervalMs;
    this.idleTimeoutMs = options.idleTimeoutMs ?? PROTOCOL_DEFAULTS.idleTimeoutMs;
    this.stats = new StatsStore({
      retentionMs: options.statsRetentionMs,
      onListenerError: (err) => this.log.error({ err }, 'stats listener threw'),
    });
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.handle(req, res).catch((err: unknown) => {
        this.log.error({ err }, 'stream request failed');
        if (!res.headersSent) res.writeHead(500, { Connection: 'close' });
        res.end();
      });
    };
    this.server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler) : createHttpServer(handler);
    // Streams live for hours; liveness is judged by heartbeats, not by request timers.
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 10_000;
  }

  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? 0;
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host ?? '0.0.0.0', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.heartbeat = setInterval(() => this.sweep(), this.heartbeatIntervalMs);
    this.log.info({ port: this.port, tls: Boolean(this.options.tls) }, 'config server listening');
    return this.port;
  }

  get isServing(): boolean {
    return this.serving;
  }

  /**
   * Starts or stops accepting streams. Stopping closes every open stream (the proxies keep
   * their last snapshot and reconnect, to whichever replica serves next); published snapshots
   * are kept.
   */
  setServing(serving: boolean): void {
    if (this.serving === serving) return;
    this.serving = serving;
    this.log.info({ serving }, serving ? 'serving proxy streams' : 'no longer serving proxy streams');
    if (serving) return;
    for (const ns of this.namespaces.values()) {
      for (const session of ns.sessions) {
        this.endSession(ns, session);
        session.res.destroy();
      }
    }
  }

  /** Replaces the serving certificate for new connections (certificate rotation). */
  setTlsCertificate(tls: TlsMaterial): void {
    if (!('setSecureContext' in this.server)) throw new Error('the config server serves plain HTTP');
    this.server.setSecureContext({ cert: tls.cert, key: tls.key });
  }

  /** Closes every stream (proxies keep their last snapshot and reconnect) and stops listening. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.heartbeat);
    for (const ns of this.namespaces.values()) {
      clearTimeout(ns.debounce);
      ns.debounce = undefined;
      for (const session of ns.sessions) session.res.destroy();
      for (const waiter of ns.waiters) waiter.reject(new NotAppliedError('config server closed', this.appliedBy(ns.name)));
      ns.waiters.clear();
    }
    await new Promise<void>((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /**
   * Makes `snapshot` the configuration of `namespace`. Connected proxies receive it after the
   * debounce; proxies connecting later receive it on connect. Publishing the current version
   * again does nothing.
   */
  publish(namespace: string, version: string, snapshot: unknown): void {
    if (version.length === 0) throw new Error('a snapshot version must not be empty');
    const ns = this.namespace(namespace);
    if (ns.current?.version === version) return;
    ns.current = { version, seq: ns.ledger.publish(version), snapshot, publishedAt: Date.now() };
    ns.debounce ??= setTimeout(() => {
      ns.debounce = undefined;
      const stop = this.metrics.pushDuration.startTimer();
      for (const session of ns.sessions) this.send(ns, session);
      stop();
    }, this.debounceMs);
    this.scheduleNotify(ns);
  }

  /** The snapshot currently published for `namespace`. */
  current(namespace: string): { version: string; snapshot: unknown } | undefined {
    const current = this.namespaces.get(namespace)?.current;
    return current ? { version: current.version, snapshot: current.snapshot } : undefined;
  }

  /** Drops a namespace (deleted): its streams close and its snapshot is forgotten. */
  forget(namespace: string): void {
    const ns = this.namespaces.get(namespace);
    if (!ns) return;
    clearTimeout(ns.debounce);
    for (const session of ns.sessions) session.res.destroy();
    for (const waiter of ns.waiters) waiter.reject(new NotAppliedError(`namespace ${namespace} was forgotten`, this.appliedBy(namespace)));
    this.namespaces.delete(namespace);
    this.metrics.proxiesConnected.remove({ namespace });
  }

  /** Connected proxies, of one namespace or all. */
  proxies(namespace?: string): ProxyStatus[] {
    const states = namespace === undefined ? [...this.namespaces.values()] : [this.namespaces.get(namespace)].filter((n) => n !== undefined);
    return states.flatMap((ns) => [...ns.sessions].map((s) => ({ ...s.status })));
  }

  appliedBy(namespace: string): AppliedState {
    const ns = this.namespaces.get(namespace);
    const current = ns?.current;
    const sessions = ns ? [...ns.sessions] : [];
    let applied = 0;
    let nacked = 0;
    for (const s of sessions) {
      if (current && s.ackedSeq !== undefined && s.ackedSeq >= current.seq) applied++;
      else if (current && s.status.nack?.version === current.version) nacked++;
    }
    return {
      namespace,
      version: current?.version,
      connected: sessions.length,
      applied,
      nacked,
      proxies: sessions.map((s) => ({ ...s.status })),
    };
  }

  /**
   * True when at least `minProxies` proxies of `namespace` are connected and all of them have
   * acknowledged `version` or a version published after it.
   */
  isApplied(namespace: string, version: string, minProxies = 1): boolean {
    const ns = this.namespaces.get(namespace);
    if (!ns) return false;
    return appliedByAll(ns.sessions, ns.ledger.seqOf(version), minProxies);
  }

  /**
   * Resolves when isApplied(namespace, version) holds (at once if it does already); rejects
   * with NotAppliedError (carrying the state) on timeout or abort. For ack-gated steps.
   */
  waitUntilApplied(namespace: string, version: string, options: WaitOptions = {}): Promise<AppliedState> {
    const minProxies = options.minProxies ?? 1;
    if (this.isApplied(namespace, version, minProxies)) return Promise.resolve(this.appliedBy(namespace));
    const ns = this.namespace(namespace);
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        ns.waiters.delete(waiter);
      };
      const waiter: Waiter = {
        version,
        minProxies,
        resolve: (state) => {
          cleanup();
          resolve(state);
        },
        reject: (err) => {
          cleanup();
          reject(err);
        },
      };
      const fail = (why: string): void => {
        const state = this.appliedBy(namespace);
        waiter.reject(new NotAppliedError(`version ${version} of ${namespace} ${why}: ${state.applied}/${state.connected} proxies applied it`, state));
      };
      const timer = setTimeout(() => fail(`not applied within ${options.timeoutMs ?? 30_000} ms`), options.timeoutMs ?? 30_000);
      const onAbort = (): void => fail('no longer awaited (aborted)');
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      ns.waiters.add(waiter);
    });
  }

  /** Calls `listener` (coalesced, at most once per event-loop turn per namespace) when a namespace's applied state changes. */
  onAppliedChange(listener: AppliedListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private namespace(name: string): NamespaceState {
    let ns = this.namespaces.get(name);
    if (!ns) {
      ns = { name, ledger: new VersionLedger(), current: undefined, sessions: new Set(), debounce: undefined, notifyPending: false, waiters: new Set() };
      this.namespaces.set(name, ns);
    }
    return ns;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://config-server');
    if (url.pathname !== STREAM_PATH) return this.refuse(req, res, 404, 'not found', false);
    if (req.method !== 'POST') return this.refuse(req, res, 405, 'use POST', false);
    const remoteAddress = req.socket.remoteAddress ?? 'unknown';
    const proxyId = url.searchParams.get('proxyId') ?? '';
    if (proxyId.length === 0 || proxyId.length > 253) return this.refuse(req, res, 400, 'proxyId query parameter required (at most 253 characters)');
    const requestedNamespace = url.searchParams.get('namespace') || undefined;
    const token = bearerToken(req.headers.authorization);
    if (!token) return this.refuse(req, res, 401, 'missing bearer token', true, { proxyId, requestedNamespace });
    const auth = await this.options.authenticator.authenticate(token);
    if (!auth.ok) return this.refuse(req, res, auth.status, auth.reason, true, { proxyId, requestedNamespace });
    const access = decideAccess(auth.identity, requestedNamespace, this.options.allowedServiceAccounts);
    if (!access.ok) {
      return this.refuse(req, res, 403, access.reason, true, { proxyId, requestedNamespace, serviceAccount: auth.identity.username });
    }
    if (this.closing || !this.serving) return this.refuse(req, res, 503, this.closing ? 'shutting down' : 'not the leader; retry', false);
    this.startSession(req, res, {
      proxyId,
      namespace: access.namespace,
      serviceAccount: auth.identity.serviceAccount,
      remoteAddress,
      connectedAt: Date.now(),
      lastSeenAt: Date.now(),
    });
  }

  private refuse(req: IncomingMessage, res: ServerResponse, status: number, reason: string, log = true, context: Record<string, unknown> = {}): void {
    this.metrics.rejectedStreams.inc({ status: String(status) });
    if (log) this.log.warn({ status, reason, remoteAddress: req.socket.remoteAddress, ...context }, 'proxy stream refused');
    res.writeHead(status, { 'Content-Type': 'application/json', Connection: 'close' });
    res.end(JSON.stringify({ error: reason }));
    // Whatever the proxy already streamed is of no interest.
    req.resume();
  }

  private startSession(req: IncomingMessage, res: ServerResponse, status: ProxyStatus): void {
    const ns = this.namespace(status.namespace);
    const log = this.log.child({ proxyId: status.proxyId, namespace: status.namespace });
    // The same proxy reconnecting before its old connection was noticed dead: keep the new one.
    for (const other of ns.sessions) {
      if (other.status.proxyId === status.proxyId) {
        log.info('proxy reconnected; closing its previous stream');
        this.endSession(ns, other);
        other.res.destroy();
      }
    }
    const session: Session = { status, ackedSeq: undefined, res, blocked: false, closed: false };
    res.writeHead(200, { 'Content-Type': NDJSON_CONTENT_TYPE, 'Cache-Control': 'no-store' });
    res.flushHeaders();
    req.socket.setNoDelay(true);
    req.socket.setKeepAlive(true, 10_000);
    ns.sessions.add(session);
    this.metrics.proxiesConnected.set({ namespace: ns.name }, ns.sessions.size);
    log.info({ serviceAccount: status.serviceAccount, remoteAddress: status.remoteAddress, version: ns.current?.version }, 'proxy connected');
    if (ns.current) this.send(ns, session);
    this.scheduleNotify(ns);

    const decoder = new LineDecoder(MAX_CLIENT_LINE_BYTES);
    req.on('data', (chunk: Buffer) => {
      if (session.closed) return;
      session.status.lastSeenAt = Date.now();
      let lines: string[];
      try {
        lines = decoder.push(chunk);
      } catch (err) {
        if (!(err instanceof LineTooLongError)) throw err;
        this.metrics.protocolErrors.inc({ reason: 'line_too_long' });
        log.warn({ limit: err.limit }, 'proxy sent an over-long line; closing its stream');
        res.destroy();
        return;
      }
      for (const line of lines) {
        const parsed = parseClientMessage(line);
        if (!parsed.ok) {
          this.metrics.protocolErrors.inc({ reason: 'malformed' });
          log.warn({ error: parsed.error }, 'malformed message from proxy');
          continue;
        }
        this.onMessage(ns, session, parsed.message, log);
      }
    });
    // The proxy ended its half: it is shutting down. End ours.
    req.on('end', () => res.end());
    req.on('error', () => undefined);
    res.on('drain', () => {
      session.blocked = false;
      if (ns.current && session.status.sentVersion !== ns.current.version) this.send(ns, session);
    });
    res.on('close', () => {
      if (session.closed) return;
      this.endSession(ns, session);
      log.info({ ackedVersion: session.status.ackedVersion }, 'proxy disconnected');
    });
  }

  private endSession(ns: NamespaceState, session: Session): void {
    if (session.closed) return;
    session.closed = true;
    ns.sessions.delete(session);
    this.metrics.proxiesConnected.set({ namespace: ns.name }, ns.sessions.size);
    this.scheduleNotify(ns);
  }

  private onMessage(ns: NamespaceState, session: Session, message: ClientMessage, log: Logger): void {
    const now = Date.now();
    switch (message.type) {
      case 'ping':
        return;
      case 'ack': {
        session.status.ackedVersion = message.version;
        session.status.ackedAt = now;
        session.ackedSeq = ns.ledger.seqOf(message.version);
        session.status.nack = undefined;
        this.metrics.responses.inc({ namespace: ns.name, result: 'ack' });
        const current = ns.current;
        if (current && current.version === message.version && session.status.connectedAt <= current.publishedAt) {
          this.metrics.publishToAck.observe((now - current.publishedAt) / 1000);
        }
        this.scheduleNotify(ns);
        return;
      }
      case 'nack':
        session.status.nack = { version: message.version, error: message.error, at: now };
        this.metrics.responses.inc({ namespace: ns.name, result: 'nack' });
        log.warn({ version: message.version, error: message.error }, 'proxy rejected a snapshot');
        this.scheduleNotify(ns);
        return;
      case 'stats':
        if (message.report.proxyId !== session.status.proxyId) {
          this.metrics.protocolErrors.inc({ reason: 'stats_proxy_mismatch' });
          log.warn({ reportedProxyId: message.report.proxyId }, 'stats report names another proxy; ignored');
          return;
        }
        this.metrics.statsReports.inc({ namespace: ns.name });
        this.stats.record(ns.name, message.report);
        return;
    }
  }

  /** Writes the current snapshot unless the proxy has it already or its socket is full. */
  private send(ns: NamespaceState, session: Session): void {
    const current = ns.current;
    if (!current || session.closed || session.blocked || session.status.sentVersion === current.version) return;
    current.line ??= Buffer.from(encodeMessage({ type: 'snapshot', version: current.version, snapshot: current.snapshot }));
    session.status.sentVersion = current.version;
    this.metrics.snapshotsSent.inc({ namespace: ns.name });
    if (!session.res.write(current.line)) session.blocked = true;
  }

  /** Heartbeats out, and drops proxies that have been silent too long. */
  private sweep(): void {
    const now = Date.now();
    const ping = encodeMessage({ type: 'ping' });
    for (const ns of this.namespaces.values()) {
      for (const session of ns.sessions) {
        if (now - session.status.lastSeenAt > this.idleTimeoutMs) {
          this.log.warn({ proxyId: session.status.proxyId, namespace: ns.name, silentMs: now - session.status.lastSeenAt }, 'proxy went silent; closing its stream');
          this.endSession(ns, session);
          session.res.destroy();
          continue;
        }
        if (!session.blocked && !session.res.write(ping)) session.blocked = true;
      }
    }
  }

  private scheduleNotify(ns: NamespaceState): void {
    if (ns.notifyPending) return;
    ns.notifyPending = true;
    setImmediate(() => {
      ns.notifyPending = false;
      if (ns.waiters.size === 0 && this.listeners.size === 0) return;
      let state: AppliedState | undefined;
      for (const waiter of [...ns.waiters]) {
        if (appliedByAll(ns.sessions, ns.ledger.seqOf(waiter.version), waiter.minProxies)) waiter.resolve((state ??= this.appliedBy(ns.name)));
      }
      if (this.listeners.size === 0) return;
      state ??= this.appliedBy(ns.name);
      for (const listener of this.listeners) {
        try {
          listener(state);
        } catch (err) {
          this.log.error({ err }, 'applied-state listener threw');
        }
      }
    });
  }
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
