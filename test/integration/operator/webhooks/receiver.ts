// A real HTTP webhook receiver on 127.0.0.1 for the webhook runner's tests: it records every
// request (method, path, headers, body, when it started and ended) and answers each path
// with a scripted behaviour.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  receivedAt: number;
  /** When the response was finished, or the connection closed without one. */
  endedAt?: number;
  /** The client closed the connection before the response was complete. */
  clientGaveUp?: boolean;
}

/** How to answer a request; `attempt` counts requests to the same path, from 1. */
export type Behaviour = (res: ServerResponse, attempt: number, req: RecordedRequest) => void;

function answer(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain' });
  res.end(body);
}

export const respond =
  (status: number, body = ''): Behaviour =>
  (res) =>
    answer(res, status, body);

export const respondAfter =
  (delayMs: number, status: number, body = ''): Behaviour =>
  (res) => {
    const timer = setTimeout(() => answer(res, status, body), delayMs);
    res.on('close', () => clearTimeout(timer));
  };

/** Answers the n-th request to a path with the n-th behaviour (the last one repeats). */
export const inSequence =
  (...behaviours: Behaviour[]): Behaviour =>
  (res, attempt, req) => {
    const behaviour = behaviours[Math.min(attempt, behaviours.length) - 1];
    behaviour?.(res, attempt, req);
  };

/**
 * Streams `totalBytes` of body as fast as the client reads it, counting what it wrote in
 * `written.bytes`, so that a test can tell how much of it the client wanted.
 */
export const endlessBody =
  (totalBytes: number, written: { bytes: number }): Behaviour =>
  (res) => {
    res.writeHead(500, { 'Content-Type': 'text/plain' });
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const pump = (): void => {
      while (written.bytes < totalBytes && !res.destroyed) {
        written.bytes += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      if (!res.destroyed) res.end();
    };
    pump();
  };

/** Accepts the request and never answers. */
export const neverAnswer: Behaviour = () => undefined;

/** Sends the status at once, then one byte every `everyMs`, for at most `maxBytes`. */
export const trickle =
  (everyMs: number, maxBytes: number): Behaviour =>
  (res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.flushHeaders();
    let sent = 0;
    const timer = setInterval(() => {
      sent += 1;
      res.write('.');
      if (sent >= maxBytes) {
        clearInterval(timer);
        res.end();
      }
    }, everyMs);
    res.on('close', () => clearInterval(timer));
  };

export class Receiver {
  readonly requests: RecordedRequest[] = [];
  private readonly behaviours = new Map<string, Behaviour>();
  private readonly attempts = new Map<string, number>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<Receiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const receiver = new Receiver(server, (server.address() as AddressInfo).port);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const path = req.url ?? '/';
        const recorded: RecordedRequest = {
          method: req.method ?? '',
          path,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          receivedAt: Date.now(),
        };
        receiver.requests.push(recorded);
        res.on('finish', () => (recorded.endedAt = Date.now()));
        res.on('close', () => {
          if (!res.writableFinished) recorded.clientGaveUp = true;
          recorded.endedAt ??= Date.now();
        });
        const attempt = (receiver.attempts.get(path) ?? 0) + 1;
        receiver.attempts.set(path, attempt);
        (receiver.behaviours.get(path) ?? respond(404, `no behaviour for ${path}`))(res, attempt, recorded);
      });
    });
    return receiver;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  on(path: string, behaviour: Behaviour): this {
    this.behaviours.set(path, behaviour);
    return this;
  }

  to(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** Resolves once `count` requests to `path` have arrived (polling, bounded by `timeoutMs`). */
  async waitFor(path: string, count = 1, timeoutMs = 5000): Promise<RecordedRequest[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.to(path).length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} request(s) to ${path}, got ${this.to(path).length}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.to(path);
  }

  reset(): void {
    this.requests.length = 0;
    this.behaviours.clear();
    this.attempts.clear();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A loopback port with nothing listening: connecting is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
