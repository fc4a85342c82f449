// All upstream HTTP I/O of the proxy goes through this module, which wraps `http-proxy` so
// that its sharp edges are handled once:
// - an `error` listener on the proxy (http-proxy throws without one) and a callback on every
//   call, so an upstream failure becomes an outcome, never an exception;
// - every try gets its ClientRequest attached, so it can be destroyed when the client goes
//   away or a deadline passes (http-proxy itself only aborts on `aborted`, which Node no
//   longer emits once the request body is complete);
// - responses are relayed by us (`selfHandleResponse`) so that a retriable status can be
//   retried, hop-by-hop headers are stripped and a response cut short upstream is cut short
//   downstream too instead of hanging;
// - keep-alive agents with a bounded number of sockets per endpoint, a separate pool for
//   mirrored copies, and no pooling for WebSocket tunnels.
import http from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import httpProxy from 'http-proxy';
import type { Logger } from 'pino';
import { downstreamResponseHeaders } from './upstream-headers.js';
import type { UpstreamFailure } from './retry-policy.js';

export interface UpstreamTarget {
  readonly address: string;
  readonly port: number;
}

export type TryResult =
  | { readonly kind: 'response'; readonly response: http.IncomingMessage }
  | { readonly kind: 'failure'; readonly failure: UpstreamFailure; readonly error: Error; readonly reusedSocket: boolean };

export interface TryHandle {
  /**
   * Stops the try. With `timeout`, the outcome callback receives a timeout failure (unless an
   * outcome was already delivered); without, no further outcome is delivered.
   */
  abort(reason?: 'timeout'): void;
}

export type MirrorResult = { readonly status: number } | { readonly failure: UpstreamFailure | 'body-overflow' | 'abandoned' };

export interface MirrorCopy {
  /** Sends a chunk of the request body; abandons the copy rather than buffer past the limit. */
  write(chunk: Buffer): void;
  end(chunk?: Buffer): void;
  abandon(): void;
}

export interface ForwarderOptions {
  /** Sockets in use to one endpoint; further requests queue in the agent until one frees. */
  readonly maxSocketsPerEndpoint: number;
  /** Idle keep-alive sockets kept per endpoint. */
  readonly maxIdleSocketsPerEndpoint: number;
  /** Sockets to one endpoint for mirrored copies. */
  readonly maxMirrorSocketsPerEndpoint: number;
}

export const DEFAULT_FORWARDER_OPTIONS: ForwarderOptions = {
  maxSocketsPerEndpoint: 1024,
  maxIdleSocketsPerEndpoint: 256,
  maxMirrorSocketsPerEndpoint: 64,
};

export interface SocketCounts {
  /** Upstream sockets carrying a request. */
  readonly upstreamActive: number;
  /** Upstream keep-alive sockets waiting for the next request. */
  readonly upstreamIdle: number;
  /** Sockets of the mirror pool, active or idle. */
  readonly mirror: number;
  /** Upstream sockets of WebSocket tunnels. */
  readonly tunnels: number;
}

/** Extra per-call option: lets http-proxy's `proxyReq` event find the try it belongs to. */
interface TryOptions extends httpProxy.ServerOptions {
  sluiceTry: UpstreamTry | UpgradeTry;
}

/** The current try of a request, for http-proxy's `proxyRes` event (which carries no options). */
const CURRENT_TRY = Symbol('sluice.currentTry');
type RequestWithTry = http.IncomingMessage & { [CURRENT_TRY]?: UpstreamTry };

const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT']);

export function classifyUpstreamError(err: Error): UpstreamFailure {
  const code = (err as NodeJS.ErrnoException).code;
  return code !== undefined && CONNECT_FAILURES.has(code) ? 'connect-failure' : 'reset';
}

export class HttpForwarder {
  // toProxy: forward req.url as received instead of re-serialising it through the legacy
  // url.parse (slower, and it rewrites some characters).
  private readonly proxy = httpProxy.createProxyServer({ xfwd: false, changeOrigin: false, toProxy: true });
  private readonly agent: http.Agent;
  private readonly mirrorAgent: http.Agent;
  private readonly tunnels = new Set<Socket>();

  constructor(
    private readonly logger: Logger,
    options: ForwarderOptions = DEFAULT_FORWARDER_OPTIONS,
  ) {
    // noDelay: a request or response is one write; Nagle would only add latency.
    this.agent = new http.Agent({
      keepAlive: true,
      noDelay: true,
      maxSockets: options.maxSocketsPerEndpoint,
      maxFreeSockets: options.maxIdleSocketsPerEndpoint,
      scheduling: 'lifo',
    });
    this.mirrorAgent = new http.Agent({
      keepAlive: true,
      noDelay: true,
      maxSockets: options.maxMirrorSocketsPerEndpoint,
      maxFreeSockets: options.maxMirrorSocketsPerEndpoint,
      scheduling: 'lifo',
    });
    // Safety net only: every call passes its own callback, so this fires for nothing we know of.
    this.proxy.on('error', (err: Error) => this.logger.warn({ err }, 'unhandled http-proxy error'));
    this.proxy.on('proxyReq', (proxyReq: http.ClientRequest, _req: http.IncomingMessage, _res: http.ServerResponse, options: httpProxy.ServerOptions) => {
      (options as TryOptions).sluiceTry.attach(proxyReq);
    });
    this.proxy.on('proxyReqWs', (proxyReq: http.ClientRequest, _req: http.IncomingMessage, _socket: Socket, options: httpProxy.ServerOptions) => {
      (options as TryOptions).sluiceTry.attach(proxyReq);
    });
    // http-proxy already listens for the response; riding on its event saves a listener per request.
    this.proxy.on('proxyRes', (proxyRes: http.IncomingMessage, req: http.IncomingMessage) => {
      const attempt = (req as RequestWithTry)[CURRENT_TRY];
      if (attempt === undefined) proxyRes.destroy();
      else attempt.respond(proxyRes);
    });
  }

  /**
   * Sends one try of `req` to `target`. The request headers must already be prepared for
   * upstream (see upstream-headers.ts). `body` replays a buffered body; without it the
   * request stream itself is piped (which can happen only once, or for a bodiless request).
   */
  tryRequest(req: http.IncomingMessage, res: http.ServerResponse, target: UpstreamTarget, body: Buffer | undefined, onOutcome: (r: TryResult) => void): TryHandle {
    const attempt = new UpstreamTry(onOutcome);
    (req as RequestWithTry)[CURRENT_TRY] = attempt;
    const options: TryOptions = {
      target: { protocol: 'http:', host: target.address, hostname: target.address, port: target.port },
      agent: this.agent,
      selfHandleResponse: true,
      sluiceTry: attempt,
    };
    if (body !== undefined) options.buffer = Readable.from(body.length > 0 ? [body] : []);
    this.proxy.web(req, res, options, (err: Error) => attempt.fail(err));
    return attempt;
  }

  /**
   * Relays an upstream response to the client. When the upstream cuts its response short,
   * the client's response is cut too (so it cannot be taken for complete) and `onUpstreamCut`
   * is called. When the client goes away first, the caller must `abandonResponse(upstream)`:
   * the caller already watches the client's response for its own accounting, and one
   * listener per request is cheaper than two.
   */
  relayResponse(res: http.ServerResponse, upstream: http.IncomingMessage, extraSetCookie: string | undefined, onUpstreamCut: () => void): void {
    const headers = downstreamResponseHeaders(upstream.headers);
    if (extraSetCookie !== undefined) {
      const prior = headers['set-cookie'];
      headers['set-cookie'] = prior === undefined ? [extraSetCookie] : [...(Array.isArray(prior) ? prior : [prior]), extraSetCookie];
    }
    res.writeHead(upstream.statusCode ?? 502, upstream.statusMessage, headers);
    // Not stream.pipeline: it allocates an AbortController and a DOMException per call, a
    // tenth of the proxy's CPU at load. (No 'error' listener is needed on `upstream`: Node
    // emits errors of an IncomingMessage only to listeners that exist.)
    upstream.once('close', () => {
      if (upstream.complete) return;
      res.destroy();
      onUpstreamCut();
    });
    upstream.pipe(res);
  }

  /** Drops the rest of a response being relayed to a client that went away; its socket is not reused. */
  abandonResponse(upstream: http.IncomingMessage): void {
    upstream.destroy();
  }

  /** Reads and drops a response that is not relayed (a retried try), so its socket can be reused. */
  discardResponse(upstream: http.IncomingMessage): void {
    upstream.on('error', () => {});
    upstream.resume();
  }

  /**
   * Tunnels a WebSocket handshake (and then the connection) to `target`. `onResult` receives
   * the upstream status (101 when upgraded) or the failure.
   */
  upgrade(req: http.IncomingMessage, socket: Socket, head: Buffer, target: UpstreamTarget, onResult: (r: { status: number } | { failure: UpstreamFailure }) => void): void {
    const attempt = new UpgradeTry(this.tunnels, onResult);
    const options: TryOptions = {
      target: { protocol: 'http:', host: target.address, hostname: target.address, port: target.port },
      // A tunnel owns its connection for its whole life; it never goes back to a pool.
      agent: false,
      sluiceTry: attempt,
    };
    this.proxy.ws(req, socket, head, options, (err: Error) => attempt.fail(err));
  }

  /**
   * Starts a fire-and-forget copy of a request to `target`, from its own connection pool and
   * with its own deadline. The caller streams the body in with `write`/`end`.
   */
  startMirror(
    spec: { method: string; url: string; headers: http.OutgoingHttpHeaders; target: UpstreamTarget; timeoutMs: number; maxBufferedBytes: number },
    onDone: (r: MirrorResult) => void,
  ): MirrorCopy {
    return new MirrorRequest(this.mirrorAgent, spec, onDone);
  }

  socketCounts(): SocketCounts {
    return {
      upstreamActive: countSockets(this.agent.sockets),
      upstreamIdle: countSockets(this.agent.freeSockets),
      mirror: countSockets(this.mirrorAgent.sockets) + countSockets(this.mirrorAgent.freeSockets),
      tunnels: this.tunnels.size,
    };
  }

  /** Closes idle pooled sockets (active ones finish their request). */
  closeIdle(): void {
    for (const list of Object.values(this.agent.freeSockets)) for (const s of list ?? []) s.destroy();
    for (const list of Object.values(this.mirrorAgent.freeSockets)) for (const s of list ?? []) s.destroy();
  }

  /** Destroys every upstream socket, tunnels included. */
  destroy(): void {
    this.agent.destroy();
    this.mirrorAgent.destroy();
    for (const s of this.tunnels) s.destroy();
    this.tunnels.clear();
  }
}

class UpstreamTry implements TryHandle {
  private proxyReq: http.ClientRequest | undefined;
  private settled = false;

  constructor(private readonly onOutcome: (r: TryResult) => void) {}

  attach(proxyReq: http.ClientRequest): void {
    if (this.settled) {
      // Aborted before the request got its socket.
      proxyReq.destroy();
      return;
    }
    this.proxyReq = proxyReq;
  }

  respond(response: http.IncomingMessage): void {
    // A response of an abandoned try, or of an earlier try of the same request.
    if (this.settled || (response as http.IncomingMessage & { req?: http.ClientRequest }).req !== this.proxyReq) {
      response.destroy();
      return;
    }
    this.settled = true;
    this.onOutcome({ kind: 'response', response });
  }

  fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.onOutcome({ kind: 'failure', failure: classifyUpstreamError(error), error, reusedSocket: this.proxyReq?.reusedSocket ?? false });
  }

  abort(reason?: 'timeout'): void {
    if (!this.settled) {
      this.settled = true;
      if (reason === 'timeout') this.onOutcome({ kind: 'failure', failure: 'timeout', error: new Error('upstream try timed out'), reusedSocket: this.proxyReq?.reusedSocket ?? false });
    }
    this.proxyReq?.destroy();
  }
}

class UpgradeTry {
  private settled = false;

  constructor(
    private readonly tunnels: Set<Socket>,
    private readonly onResult: (r: { status: number } | { failure: UpstreamFailure }) => void,
  ) {}

  attach(proxyReq: http.ClientRequest): void {
    proxyReq.once('upgrade', (_res: http.IncomingMessage, upstreamSocket: Socket) => {
      this.tunnels.add(upstreamSocket);
      upstreamSocket.once('close', () => this.tunnels.delete(upstreamSocket));
      this.settle({ status: 101 });
    });
    proxyReq.once('response', (res: http.IncomingMessage) => this.settle({ status: res.statusCode ?? 502 }));
  }

  fail(error: Error): void {
    this.settle({ failure: classifyUpstreamError(error) });
  }

  private settle(r: { status: number } | { failure: UpstreamFailure }): void {
    if (this.settled) return;
    this.settled = true;
    this.onResult(r);
  }
}

class MirrorRequest implements MirrorCopy {
  private readonly request: http.ClientRequest;
  private readonly timer: NodeJS.Timeout;
  private done = false;

  constructor(
    agent: http.Agent,
    private readonly spec: { method: string; url: string; headers: http.OutgoingHttpHeaders; target: UpstreamTarget; timeoutMs: number; maxBufferedBytes: number },
    private readonly onDone: (r: MirrorResult) => void,
  ) {
    this.request = http.request({
      agent,
      hostname: spec.target.address,
      port: spec.target.port,
      method: spec.method,
      path: spec.url,
      headers: spec.headers,
    });
    this.request.on('error', (err) => this.finish({ failure: classifyUpstreamError(err) }));
    this.request.on('response', (res) => {
      // Drained and dropped: nobody reads a mirror's answer, but its socket can be reused.
      res.on('error', () => {});
      res.on('close', () => this.finish(res.complete ? { status: res.statusCode ?? 0 } : { failure: 'reset' }));
      res.resume();
    });
    this.timer = setTimeout(() => this.stop({ failure: 'timeout' }), spec.timeoutMs);
    this.timer.unref();
  }

  write(chunk: Buffer): void {
    if (this.done) return;
    // The client's request must not wait for a slow mirror: rather than apply backpressure,
    // give up on the copy once it lags too far behind.
    if (this.request.writableLength + chunk.length > this.spec.maxBufferedBytes) {
      this.stop({ failure: 'body-overflow' });
      return;
    }
    this.request.write(chunk);
  }

  end(chunk?: Buffer): void {
    if (this.done) return;
    if (chunk !== undefined && chunk.length > 0) this.write(chunk);
    if (!this.done) this.request.end();
  }

  abandon(): void {
    this.stop({ failure: 'abandoned' });
  }

  private stop(result: MirrorResult): void {
    if (this.done) return;
    this.finish(result);
    this.request.destroy();
  }

  private finish(result: MirrorResult): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.onDone(result);
  }
}

function countSockets(table: NodeJS.ReadOnlyDict<Socket[]>): number {
  let n = 0;
  for (const list of Object.values(table)) n += list?.length ?? 0;
  return n;
}
