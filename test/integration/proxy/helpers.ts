// Real HTTP servers, a real proxy and a real client on loopback for the proxy's integration tests.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { pino } from 'pino';
import { ProxyServer, type ProxyServerOptions } from '../../../proxy/proxy-server.js';
import type { Snapshot } from '../../../proxy/snapshot.js';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Raw header names as sent, to check hop-by-hop stripping. */
  rawHeaderNames: string[];
}

export type BackendHandler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

export interface TestBackend {
  readonly name: string;
  readonly port: number;
  readonly server: http.Server;
  readonly seen: SeenRequest[];
  /** Replaces the behaviour; the default answers 200 with the backend's name. */
  handle(handler: BackendHandler | undefined): void;
  connections(): Promise<number>;
  close(): Promise<void>;
}

const defaultHandler =
  (name: string): BackendHandler =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-backend': name });
    res.end(name);
  };

/** A backend server on 127.0.0.1 that records what it receives. */
export async function startBackend(name: string, handler?: BackendHandler): Promise<TestBackend> {
  let current = handler ?? defaultHandler(name);
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => {});
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const rawHeaderNames = req.rawHeaders.filter((_, i) => i % 2 === 0).map((h) => h.toLowerCase());
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, rawHeaderNames });
      current(req, res, body);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    name,
    port: (server.address() as AddressInfo).port,
    server,
    seen,
    handle: (h) => (current = h ?? defaultHandler(name)),
    connections: () => new Promise((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n)))),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function endpointsOf(...backends: TestBackend[]): { address: string; port: number; ready: boolean }[] {
  return backends.map((b) => ({ address: '127.0.0.1', port: b.port, ready: true }));
}

export const silentLogger = pino({ level: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent' });

export interface RunningProxy {
  readonly proxy: ProxyServer;
  /** Port of the first listener. */
  readonly port: number;
  portOf(listener: string): number;
  stop(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 (admin on a free port) with `snapshot` applied. */
export async function startProxy(snapshot: Snapshot | Record<string, unknown>, options: ProxyServerOptions = {}): Promise<RunningProxy> {
  const proxy = new ProxyServer({ bindAddress: '127.0.0.1', adminPort: 0, logger: silentLogger, drainTimeoutMs: 2_000, ...options });
  await proxy.start();
  const result = await proxy.applySnapshot(snapshot);
  if (!result.ok) throw new Error(result.error);
  const first = (snapshot as Snapshot).listeners[0]?.name;
  const portOf = (name: string): number => {
    const port = proxy.listenerPorts()[name];
    if (port === undefined) throw new Error(`no listener ${name}`);
    return port;
  };
  return { proxy, port: first === undefined ? 0 : portOf(first), portOf, stop: () => proxy.stop() };
}

/** One listener `web` on a free port with the given rules and backends. */
export function singleListener(rules: unknown[], backends: Record<string, unknown>, listenerExtra: Record<string, unknown> = {}, version = 'v1'): Snapshot {
  return { version, listeners: [{ name: 'web', port: 0, rules, ...listenerExtra }], backends } as Snapshot;
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface RequestSpec {
  method?: string;
  path?: string;
  headers?: http.OutgoingHttpHeaders;
  body?: string | Buffer;
  timeoutMs?: number;
}

/** A keep-alive client; `close()` drops its sockets so that socket counts can settle. */
export class Client {
  readonly agent: http.Agent;

  constructor(maxSockets = 64) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  request(port: number, spec: RequestSpec = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, method: spec.method ?? 'GET', path: spec.path ?? '/', headers: spec.headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        },
      );
      req.on('error', reject);
      if (spec.timeoutMs !== undefined) req.setTimeout(spec.timeoutMs, () => req.destroy(new Error(`client timeout after ${spec.timeoutMs} ms`)));
      req.end(spec.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs `total` calls of `task`, `concurrency` at a time, and returns their results in order. */
export async function runConcurrently<T>(total: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(total);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return results;
}

export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function countBy<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

/** Asserts (by waiting) that no socket is left on either side of the proxy beyond the idle upstream pool. */
export async function expectNoLeakedSockets(proxy: ProxyServer, backends: TestBackend[]): Promise<void> {
  await waitFor('client connections to close', async () => (await proxy.connectionCounts()).downstream === 0);
  await waitFor('upstream requests to finish', async () => (await proxy.connectionCounts()).upstreamActive === 0);
  // Every socket a backend still has open is an idle keep-alive socket in the proxy's pool.
  await waitFor('backend sockets to match the idle pool', async () => {
    const counts = await proxy.connectionCounts();
    let open = 0;
    for (const b of backends) open += await b.connections();
    return open === counts.upstreamIdle + counts.mirror + counts.tunnels;
  });
}
