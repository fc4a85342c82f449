// The proxy's side of the config stream (protocol: operator/config-server/protocol.ts).
//
// Connects to the operator's config server with the pod's ServiceAccount token, applies every
// snapshot it receives through `apply` and answers with an ACK or a NACK, reports live counters
// every second, and sends heartbeats. When the connection fails or goes silent it reconnects
// with jittered exponential back-off, re-reading the token file each time (projected tokens
// rotate). It never touches the proxy while disconnected: the proxy keeps serving the last
// snapshot it applied, which is exactly what "keep routing while the operator is away" needs.
import { readFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Logger } from 'pino';
import { LineDecoder, LineTooLongError } from '../operator/config-server/line-decoder.js';
import {
  encodeMessage,
  MAX_SERVER_LINE_BYTES,
  NDJSON_CONTENT_TYPE,
  parseServerMessage,
  PROTOCOL_DEFAULTS,
  STREAM_PATH,
  type ClientMessage,
} from '../operator/config-server/protocol.js';
import type { ConfigSink, ConfigSource } from './config-source.js';
import type { StatsReport } from './stats-report.js';

export type ApplyResult = { ok: true } | { ok: false; error: string };

export type ControlPlaneEvent =
  | { type: 'connected' }
  | { type: 'disconnected'; reason: string; retryInMs: number }
  | { type: 'refused'; status: number; reason: string; retryInMs: number }
  | { type: 'applied'; version: string }
  | { type: 'rejected'; version: string; error: string };

export interface ControlPlaneClientOptions {
  /** Base URL of the config server, e.g. "https://sluice-operator.sluice-system.svc:15012". */
  url: string;
  /** Stable identity of this proxy (pod name). */
  proxyId: string;
  /** Namespace whose configuration to receive; default: the ServiceAccount's. */
  namespace?: string;
  /** ServiceAccount token file (projected), re-read on every connection attempt. */
  tokenFile: string;
  /** PEM bundle of the CA that signed the server's certificate (HTTPS), re-read on every attempt. */
  caFile?: string;
  /** Name to verify the server certificate against, when it differs from the URL's host. */
  serverName?: string;
  /** Validates and swaps in a snapshot; the proxy's ProxyServer.applySnapshot has this shape. */
  apply: (snapshot: unknown) => ApplyResult | Promise<ApplyResult>;
  /** The current live counters, sent every `statsIntervalMs`; absent: no reports. */
  stats?: () => StatsReport | undefined;
  statsIntervalMs?: number;
  heartbeatIntervalMs?: number;
  /** Silence from the server after which the connection is dropped and re-made. */
  idleTimeoutMs?: number;
  /** Reconnect back-off. Default 250 ms doubling to 15 s, half jittered. */
  backoff?: { initialMs: number; maxMs: number };
  log: Logger;
  onEvent?: (event: ControlPlaneEvent) => void;
}

interface Connection {
  req: http.ClientRequest;
  timers: NodeJS.Timeout[];
  lastHeardAt: number;
  closed: boolean;
}

export class ControlPlaneClient {
  private running = false;
  private connection: Connection | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private applied: string | undefined;
  private isConnected = false;
  /** Snapshots are applied one at a time, in order, even if `apply` is async. */
  private applying: Promise<void> = Promise.resolve();
  private stopped: Promise<void> = Promise.resolve();
  private resolveStopped: (() => void) | undefined;

  constructor(private readonly options: ControlPlaneClientOptions) {}

  /** The version of the last snapshot applied successfully. */
  get appliedVersion(): string | undefined {
    return this.applied;
  }

  get connected(): boolean {
    return this.isConnected;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
    void this.connect();
  }

  /** Closes the stream (ending our half first, so the server logs a clean goodbye). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.reconnectTimer);
    const connection = this.connection;
    if (connection) {
      connection.req.end();
      // Give the server a moment to end its half, then cut.
      const cut = setTimeout(() => this.closeConnection(connection, { reason: 'stopping' }), 500);
      await this.stopped;
      clearTimeout(cut);
    } else {
      this.resolveStopped?.();
    }
    await this.applying;
  }

  private async connect(): Promise<void> {
    if (!this.running) return;
    const { options } = this;
    let token: string;
    let ca: Buffer | undefined;
    try {
      token = (await readFile(options.tokenFile, 'utf8')).trim();
      ca = options.caFile ? await readFile(options.caFile) : undefined;
    } catch (err) {
      this.scheduleReconnect(`cannot read credentials: ${(err as Error).message}`);
      return;
    }
    if (!this.running) return this.resolveStopped?.();
    const url = new URL(STREAM_PATH, options.url);
    url.searchParams.set('proxyId', options.proxyId);
    if (options.namespace) url.searchParams.set('namespace', options.namespace);
    const requestOptions: https.RequestOptions = {
      method: 'POST',
      agent: false,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': NDJSON_CONTENT_TYPE, Accept: NDJSON_CONTENT_TYPE },
      ...(url.protocol === 'https:' ? { ca, servername: options.serverName, rejectUnauthorized: true } : {}),
    };
    const transport = url.protocol === 'https:' ? https : http;
    const req = transport.request(url, requestOptions);
    const connection: Connection = { req, timers: [], lastHeardAt: Date.now(), closed: false };
    this.connection = connection;

    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const reason = errorText(Buffer.concat(chunks).toString('utf8')) || `HTTP ${res.statusCode}`;
          this.closeConnection(connection, { refused: res.statusCode ?? 0, reason });
        });
        res.on('error', () => this.closeConnection(connection, { reason: 'response error' }));
        return;
      }
      this.onOpen(connection);
      const decoder = new LineDecoder(MAX_SERVER_LINE_BYTES);
      res.on('data', (chunk: Buffer) => {
        connection.lastHeardAt = Date.now();
        let lines: string[];
        try {
          lines = decoder.push(chunk);
        } catch (err) {
          if (!(err instanceof LineTooLongError)) throw err;
          this.closeConnection(connection, { reason: err.message });
          return;
        }
        for (const line of lines) this.onLine(connection, line);
      });
      res.on('end', () => this.closeConnection(connection, { reason: 'server closed the stream' }));
      res.on('error', (err) => this.closeConnection(connection, { reason: err.message }));
      res.on('close', () => this.closeConnection(connection, { reason: 'connection closed' }));
    });
    req.on('error', (err) => this.closeConnection(connection, { reason: err.message }));
    req.on('close', () => this.closeConnection(connection, { reason: 'connection closed' }));
    req.flushHeaders();
  }

  private onOpen(connection: Connection): void {
    const { options } = this;
    this.isConnected = true;
    connection.req.socket?.setNoDelay(true);
    options.log.info({ url: options.url, ...(options.serverName ? { serverName: options.serverName } : {}) }, 'connected to the control plane');
    options.onEvent?.({ type: 'connected' });
    const heartbeat = options.heartbeatIntervalMs ?? PROTOCOL_DEFAULTS.heartbeatIntervalMs;
    const idleTimeout = options.idleTimeoutMs ?? PROTOCOL_DEFAULTS.idleTimeoutMs;
    connection.timers.push(
      setInterval(() => {
        if (Date.now() - connection.lastHeardAt > idleTimeout) {
          this.closeConnection(connection, { reason: `no word from the control plane for ${idleTimeout} ms` });
          return;
        }
        this.write(connection, { type: 'ping' });
      }, heartbeat),
    );
    if (options.stats) {
      const stats = options.stats;
      connection.timers.push(
        setInterval(() => {
          let report: StatsReport | undefined;
          try {
            report = stats();
          } catch (err) {
            options.log.error({ err }, 'cannot read live counters');
          }
          if (report) this.write(connection, { type: 'stats', report });
        }, options.statsIntervalMs ?? PROTOCOL_DEFAULTS.statsIntervalMs),
      );
    }
  }

  private onLine(connection: Connection, line: string): void {
    const parsed = parseServerMessage(line);
    if (!parsed.ok) {
      this.options.log.warn({ error: parsed.error }, 'malformed message from the control plane');
      return;
    }
    const message = parsed.message;
    if (message.type !== 'snapshot') return;
    // A working stream that delivers configuration: the back-off can start over.
    this.failures = 0;
    this.applying = this.applying.then(() => this.applySnapshot(connection, message.version, message.snapshot));
  }

  private async applySnapshot(connection: Connection, version: string, snapshot: unknown): Promise<void> {
    const { options } = this;
    // After a reconnect the server sends the current snapshot again: nothing to swap.
    if (version === this.applied) {
      this.write(connection, { type: 'ack', version });
      return;
    }
    let result: ApplyResult;
    try {
      result = await options.apply(snapshot);
    } catch (err) {
      result = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    if (result.ok) {
      this.applied = version;
      options.log.info({ version }, 'applied snapshot');
      options.onEvent?.({ type: 'applied', version });
      this.write(connection, { type: 'ack', version });
    } else {
      options.log.error({ version, error: result.error }, 'rejected snapshot; keeping the previous one');
      options.onEvent?.({ type: 'rejected', version, error: result.error });
      this.write(connection, { type: 'nack', version, error: result.error });
    }
  }

  private write(connection: Connection, message: ClientMessage): void {
    if (connection.closed || connection.req.writableEnded) return;
    connection.req.write(encodeMessage(message));
  }

  private closeConnection(connection: Connection, why: { reason: string; refused?: number }): void {
    if (connection.closed) return;
    this.teardown(connection);
    if (this.connection === connection) this.connection = undefined;
    const wasConnected = this.isConnected;
    this.isConnected = false;
    if (!this.running) {
      this.resolveStopped?.();
      return;
    }
    const retryInMs = this.scheduleReconnect(why.reason, why.refused !== undefined);
    if (why.refused !== undefined) {
      this.options.onEvent?.({ type: 'refused', status: why.refused, reason: why.reason, retryInMs });
      this.options.log.error({ status: why.refused, reason: why.reason, retryInMs }, 'the control plane refused the stream');
    } else if (wasConnected) {
      this.options.onEvent?.({ type: 'disconnected', reason: why.reason, retryInMs });
    }
  }

  private teardown(connection: Connection): void {
    connection.closed = true;
    for (const timer of connection.timers) clearInterval(timer);
    connection.timers = [];
    connection.req.destroy();
  }

  private scheduleReconnect(reason: string, quiet = false): number {
    const backoff = this.options.backoff ?? { initialMs: 250, maxMs: 15_000 };
    const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(this.failures, 30));
    // Half fixed, half random: many proxies losing the same operator do not return in lockstep.
    const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    this.failures += 1;
    if (!quiet) this.options.log.warn({ reason, retryInMs: delay, keepingVersion: this.applied }, 'control plane connection lost; reconnecting');
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
    return delay;
  }
}

function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON
  }
  return body.slice(0, 200);
}

export type ControlPlaneSourceOptions = Omit<ControlPlaneClientOptions, 'apply' | 'onEvent'>;

/**
 * The control-plane stream as the proxy's ConfigSource (the other one is a file): snapshots go
 * to the sink (ProxyServer.applySnapshot), whose verdict is sent back as ACK or NACK.
 */
export class ControlPlaneConfigSource implements ConfigSource {
  readonly description: string;
  private client: ControlPlaneClient | undefined;
  private firstOffer: (() => void) | undefined;

  constructor(private readonly options: ControlPlaneSourceOptions) {
    this.description = `control plane ${options.url}`;
  }

  /** Resolves once the first snapshot has been offered to the sink (or the source stops). */
  start(sink: ConfigSink): Promise<void> {
    const offered = new Promise<void>((resolve) => (this.firstOffer = resolve));
    this.client = new ControlPlaneClient({
      ...this.options,
      apply: async (snapshot) => {
        const result = await sink.applySnapshot(snapshot);
        this.firstOffer?.();
        return result;
      },
    });
    this.client.start();
    return offered;
  }

  async stop(): Promise<void> {
    this.firstOffer?.();
    await this.client?.stop();
  }
}
