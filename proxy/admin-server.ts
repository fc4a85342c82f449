// The admin port: health, readiness, metrics, the configuration in force and the live
// counters. Never served on a traffic port, so that clients cannot reach it through a route.
import http from 'node:http';
import type { Logger } from 'pino';
import type { ProxyMetrics } from './metrics.js';

export interface AdminState {
  /** Undefined when ready, else why not. */
  notReadyReason(): string | undefined;
  configView(): unknown;
  statsView(): unknown;
}

export class AdminServer {
  private server: http.Server | undefined;
  private boundPort = 0;

  constructor(
    private readonly state: AdminState,
    private readonly metrics: ProxyMetrics,
    private readonly logger: Logger,
  ) {}

  get port(): number {
    return this.boundPort;
  }

  listen(port: number, host: string): Promise<number> {
    const server = http.createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        this.logger.error({ err }, 'admin request failed');
        if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
        else res.destroy();
      });
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host }, () => {
        server.off('error', reject);
        const address = server.address();
        this.boundPort = typeof address === 'object' && address !== null ? address.port : port;
        this.logger.info({ port: this.boundPort, address: host }, 'admin listening');
        resolve(this.boundPort);
      });
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
      return;
    }
    switch (path) {
      case '/healthz':
        send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
        return;
      case '/readyz': {
        const reason = this.state.notReadyReason();
        if (reason === undefined) send(res, 200, 'text/plain; charset=utf-8', 'ready\n');
        else send(res, 503, 'text/plain; charset=utf-8', `not ready: ${reason}\n`);
        return;
      }
      case '/metrics': {
        const { contentType, body } = await this.metrics.exposition();
        send(res, 200, contentType, body);
        return;
      }
      case '/config':
        send(res, 200, 'application/json', `${JSON.stringify(this.state.configView(), null, 2)}\n`);
        return;
      case '/stats':
        send(res, 200, 'application/json', `${JSON.stringify(this.state.statsView())}\n`);
        return;
      default:
        send(res, 404, 'text/plain; charset=utf-8', 'not found: try /healthz, /readyz, /metrics, /config, /stats\n');
    }
  }
}

function send(res: http.ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}
