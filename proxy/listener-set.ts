// The traffic sockets. Applying a snapshot first binds what it adds (so that a port that
// cannot be bound rejects the snapshot while the old one keeps serving), then, once the new
// configuration is in force, drains what it removes.
import http from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { CompiledListener } from './compiled-snapshot.js';
import { sendLocalReply } from './local-reply.js';
import type { TrafficHandler } from './traffic-handler.js';

export interface ListenerServerOptions {
  readonly bindAddress: string;
  /** Largest request head accepted; larger ones get 431. */
  readonly maxHeaderSize: number;
  /** Idle keep-alive connections from clients are closed after this. */
  readonly keepAliveTimeoutMs: number;
}

interface Binding {
  readonly key: string;
  readonly server: http.Server;
  readonly port: number;
  /** Client sockets handed over for WebSocket tunnels: the HTTP server no longer closes them. */
  readonly tunnels: Set<Duplex>;
}

export interface ListenerTransition {
  /** Puts the new set in force; bindings the snapshot dropped start draining. */
  commit(): void;
  /** Closes what `prepare` bound; the old set stays as it was. */
  rollback(): Promise<void>;
}

export class ListenerSet {
  private bindings = new Map<string, Binding>();
  private names = new Map<string, string>();
  private readonly draining = new Set<Promise<void>>();

  constructor(
    private readonly handler: TrafficHandler,
    private readonly options: ListenerServerOptions,
    private readonly drainTimeoutMs: number,
    private readonly logger: Logger,
  ) {}

  async prepare(listeners: readonly CompiledListener[]): Promise<ListenerTransition> {
    const added: Binding[] = [];
    const next = new Map<string, Binding>();
    try {
      for (const l of listeners) {
        let binding = this.bindings.get(l.bindingKey);
        if (binding === undefined) {
          binding = await this.bind(l.bindingKey, l.port);
          added.push(binding);
        }
        next.set(l.bindingKey, binding);
      }
    } catch (err) {
      await Promise.all(added.map((b) => closeNow(b)));
      throw err;
    }
    return {
      commit: () => {
        const removed = [...this.bindings.values()].filter((b) => !next.has(b.key));
        this.bindings = next;
        this.names = new Map(listeners.map((l) => [l.name, l.bindingKey]));
        for (const b of removed) this.drain(b);
      },
      rollback: async () => {
        await Promise.all(added.map((b) => closeNow(b)));
      },
    };
  }

  /** Actual port of each listener of the configuration in force. */
  ports(): Record<string, number> {
    const ports: Record<string, number> = {};
    for (const [name, key] of this.names) {
      const b = this.bindings.get(key);
      if (b !== undefined) ports[name] = b.port;
    }
    return ports;
  }

  /** Client connections open on traffic sockets (draining ones included). */
  async connectionCount(): Promise<number> {
    const counts = await Promise.all(
      [...this.bindings.values()].map(
        (b) => new Promise<number>((resolve) => b.server.getConnections((err, n) => resolve(err ? 0 : n))),
      ),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Stops accepting, lets requests in flight finish (up to the drain timeout), then closes everything. */
  async closeAll(): Promise<void> {
    const all = [...this.bindings.values()];
    this.bindings = new Map();
    this.names = new Map();
    for (const b of all) this.drain(b);
    await Promise.all([...this.draining]);
  }

  private bind(key: string, port: number): Promise<Binding> {
    const server = http.createServer({
      maxHeaderSize: this.options.maxHeaderSize,
      noDelay: true,
      // Our own timeouts govern requests; this only guards against clients that never finish a head.
      headersTimeout: 60_000,
      requestTimeout: 0,
    });
    server.keepAliveTimeout = this.options.keepAliveTimeoutMs;
    const tunnels = new Set<Duplex>();
    // Last line of defence: an exception in a handler would otherwise take the process (and
    // every other request in flight) down with it.
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      try {
        this.handler.handleRequest(key, req, res);
      } catch (err) {
        this.logger.error({ err, url: req.url }, 'request handler failed');
        sendLocalReply(res, 500, 'internal-error', 'internal error in the proxy', true);
      }
    });
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      tunnels.add(socket);
      socket.once('close', () => tunnels.delete(socket));
      try {
        this.handler.handleUpgrade(key, req, socket as Socket, head);
      } catch (err) {
        this.logger.error({ err, url: req.url }, 'upgrade handler failed');
        socket.destroy();
      }
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.onClientError(err, socket));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: this.options.bindAddress }, () => {
        server.off('error', reject);
        server.on('error', (e) => this.logger.error({ err: e, key }, 'listener error'));
        const address = server.address();
        const actual = typeof address === 'object' && address !== null ? address.port : port;
        this.logger.info({ key, port: actual, address: this.options.bindAddress }, 'listening');
        resolve({ key, server, port: actual, tunnels });
      });
    });
  }

  /** Malformed requests and oversized heads get a clear status instead of a silent reset. */
  private onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    this.logger.debug({ err: { code: err.code, message: err.message } }, 'client error');
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, text] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout']
          : [400, 'Bad Request'];
    const body = `sluice: ${text.toLowerCase()} (${err.code ?? 'parse error'})\n`;
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }

  private drain(b: Binding): void {
    const done = drainServer(b, this.drainTimeoutMs).then(() => {
      this.logger.info({ key: b.key, port: b.port }, 'listener closed');
    });
    this.draining.add(done);
    void done.finally(() => this.draining.delete(done));
  }
}

async function drainServer(b: Binding, drainTimeoutMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => b.server.close(() => resolve()));
  // Connections that finish their last response become idle and are closed as they do.
  const sweeper = setInterval(() => b.server.closeIdleConnections(), 50);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, drainTimeoutMs)));
  await Promise.race([closed, deadline]);
  clearInterval(sweeper);
  clearTimeout(timer);
  b.server.closeAllConnections();
  for (const t of b.tunnels) t.destroy();
  await closed;
}

async function closeNow(b: Binding): Promise<void> {
  const closed = new Promise<void>((resolve) => b.server.close(() => resolve()));
  b.server.closeAllConnections();
  await closed;
}
