// The demo application the tests and the playground run as "pods": answers every request with
// its version, and fails or slows down as its environment says, so that a rollout has
// something real to judge.
//
//   HOST, PORT            where to listen (default 127.0.0.1:8080)
//   VERSION               reported in every response (default v1)
//   ERROR_RATE            share of requests answered 500, 0..1 (default 0)
//   LATENCY_MS            added latency per request in ms (default 0)
//   LATENCY_JITTER_MS     uniform extra latency 0..N ms (default 0)
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { hostname } from 'node:os';

export interface DemoAppSettings {
  host: string;
  port: number;
  version: string;
  errorRate: number;
  latencyMs: number;
  latencyJitterMs: number;
  /** In-process only: hears of every request served (tests count mirrored copies with it). */
  onRequest?: (req: IncomingMessage) => void;
}

function numberFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) throw new Error(`${name} must be a number from ${min} to ${max}, got "${raw}"`);
  return value;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv): DemoAppSettings {
  return {
    host: env.HOST ?? '127.0.0.1',
    port: numberFrom(env, 'PORT', 8080, 0, 65535),
    version: env.VERSION ?? 'v1',
    errorRate: numberFrom(env, 'ERROR_RATE', 0, 0, 1),
    latencyMs: numberFrom(env, 'LATENCY_MS', 0, 0, 600_000),
    latencyJitterMs: numberFrom(env, 'LATENCY_JITTER_MS', 0, 0, 600_000),
  };
}

export function startDemoApp(settings: DemoAppSettings): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    // Drain the request body so keep-alive connections stay usable.
    req.resume();
    settings.onRequest?.(req);
    const delay = settings.latencyMs + Math.random() * settings.latencyJitterMs;
    const answer = (): void => {
      const failed = Math.random() < settings.errorRate;
      const body = JSON.stringify({ version: settings.version, host: hostname(), address: settings.host, status: failed ? 500 : 200, path: req.url }) + '\n';
      res.writeHead(failed ? 500 : 200, { 'content-type': 'application/json', 'x-version': settings.version }).end(body);
    };
    if (delay > 0) setTimeout(answer, delay);
    else answer();
  });
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : settings.port;
      resolve({
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const settings = settingsFromEnv(process.env);
  const app = await startDemoApp(settings);
  process.stdout.write(`demo-app ${settings.version} listening on ${settings.host}:${app.port}\n`);
  const stop = (): void => void app.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
