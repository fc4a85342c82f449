// A real HTTP receiver on 127.0.0.1 that records every request and answers 200: plays a
// Slack incoming webhook, a generic event webhook or a Canary's webhook (acceptance test,
// load test) in end-to-end tests and the playground.
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Epoch ms when the body was complete. */
  at: number;
}

export class HttpReceiver {
  readonly requests: ReceivedRequest[] = [];
  url = '';
  private readonly server: Server;
  private readonly listeners = new Set<(r: ReceivedRequest) => void>();

  private constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
        this.requests.push(received);
        for (const listener of this.listeners) listener(received);
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      });
    });
  }

  static async start(): Promise<HttpReceiver> {
    const receiver = new HttpReceiver();
    receiver.server.listen(0, '127.0.0.1');
    await once(receiver.server, 'listening');
    receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;
    return receiver;
  }

  /** Requests to `path` (exact, without the query). */
  to(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path.split('?')[0] === path);
  }

  /** JSON bodies of the requests to `path`. */
  json<T>(path: string): T[] {
    return this.to(path).map((r) => JSON.parse(r.body) as T);
  }

  onRequest(listener: (r: ReceivedRequest) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.listeners.clear();
    const closed = once(this.server, 'close');
    this.server.close();
    this.server.closeAllConnections();
    await closed;
  }
}
