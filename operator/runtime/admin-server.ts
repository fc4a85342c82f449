// The operator's admin endpoint: /healthz (the process serves requests), /readyz (named checks,
// e.g. "informers synced"; a standby with warm caches is ready too) and /metrics (the registry
// given, never prom-client's global default).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

/** Returns undefined when healthy, or why not. */
export type ReadinessCheck = () => string | undefined;

export interface AdminServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port: number;
  registry: Registry;
  log: Logger;
}

export class AdminServer {
  private readonly server: Server;
  private readonly checks = new Map<string, ReadinessCheck>();

  constructor(private readonly options: AdminServerOptions) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        options.log.error({ err }, 'admin request failed');
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  }

  addReadinessCheck(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  /** Failing checks by name (empty when ready). */
  readiness(): Record<string, string> {
    const failing: Record<string, string> = {};
    for (const [name, check] of this.checks) {
      let problem: string | undefined;
      try {
        problem = check();
      } catch (err) {
        problem = err instanceof Error ? err.message : String(err);
      }
      if (problem !== undefined) failing[name] = problem;
    }
    return failing;
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host ?? '0.0.0.0', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.port;
  }

  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? 0;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://admin').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz' || path === '/livez') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
      return;
    }
    if (path === '/readyz') {
      const failing = this.readiness();
      const names = Object.keys(failing);
      if (names.length === 0) {
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
      } else {
        const body = names.map((name) => `[-] ${name}: ${failing[name]}`).join('\n');
        res.writeHead(503, { 'Content-Type': 'text/plain' }).end(`${body}\n`);
      }
      return;
    }
    if (path === '/metrics') {
      const body = await this.options.registry.metrics();
      res.writeHead(200, { 'Content-Type': this.options.registry.contentType }).end(body);
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
  }
}
