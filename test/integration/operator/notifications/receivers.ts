// Real HTTP receivers on 127.0.0.1 for the notification tests: each records what it got and
// answers through a handler, so one class plays Slack, a signed-webhook consumer, a hung
// server or a flaky one. close() ends hung requests too, so no test leaves a socket behind.
import { once } from 'node:events';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** Date.now() when the body was complete. */
  at: number;
}

export type Handler = (request: ReceivedRequest, res: ServerResponse, index: number) => void;

export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  /** Requests whose response has not been sent yet. */
  open = 0;
  private readonly server: Server;
  private readonly timers = new Set<NodeJS.Timeout>();
  private waiters: { count: number; resolve: () => void }[] = [];

  constructor(private readonly handler: Handler) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
        const index = this.requests.push(request) - 1;
        this.open += 1;
        res.on('close', () => {
          this.open -= 1;
        });
        this.handler(request, res, index);
        this.waiters = this.waiters.filter((w) => {
          if (this.requests.length < w.count) return true;
          w.resolve();
          return false;
        });
      });
    });
  }

  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Answers after `ms` (a timer close() cancels). */
  later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  /** Resolves once `count` requests have arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs = 10_000): Promise<ReceivedRequest[]> {
    if (this.requests.length >= count) return Promise.resolve(this.requests.slice());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`expected ${count} requests, got ${this.requests.length} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.requests.slice());
        },
      });
    });
  }

  json(index: number): unknown {
    const request = this.requests[index];
    if (!request) throw new Error(`no request #${index}`);
    return JSON.parse(request.body) as unknown;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}

export function reply(res: ServerResponse, status: number, body = '', headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain', ...headers });
  res.end(body);
}
