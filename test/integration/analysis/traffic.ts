// Real servers for the analysis integration tests: backends with a chosen error pattern and
// latency, and an authenticating TLS gateway in front of Prometheus (how Prometheus is usually
// exposed outside its cluster: behind an auth proxy), both on loopback.

import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import httpProxy from 'http-proxy';
import { CertificateAuthority } from '../../harness/pki.js';

export interface Backend {
  readonly port: number;
  /** Requests answered so far. */
  served(): number;
  close(): Promise<void>;
}

async function listen(server: http.Server | https.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function closer(server: http.Server | https.Server): () => Promise<void> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

/** Answers every request after `delayMs`; request number i (from 0) gets a 500 when i % errorEvery === 0. */
export async function startBackend(options: { errorEvery: number; delayMs: number }): Promise<Backend> {
  let count = 0;
  const server = http.createServer((req, res) => {
    const i = count++;
    req.resume();
    setTimeout(() => {
      const failed = i % options.errorEvery === 0;
      res.writeHead(failed ? 500 : 200, { 'content-type': 'text/plain' });
      res.end(failed ? 'boom' : 'ok');
    }, options.delayMs);
  });
  const close = closer(server);
  return { port: await listen(server), served: () => count, close };
}

/** Accepts connections and never answers: what a hung server looks like to a client. */
export async function startBlackHole(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer(() => undefined);
  const close = closer(server);
  return { port: await listen(server), close };
}

export interface Gateway {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * HTTPS with a certificate from a throw-away CA (so only insecureSkipVerify gets through),
 * 401 without the expected Authorization header, everything else forwarded to `target`.
 */
export async function startAuthGateway(target: string, expectedAuthorization: string[]): Promise<Gateway> {
  const ca = CertificateAuthority.create('analysis-test-ca');
  const { certPem, keyPem } = ca.serverCertificate('prometheus-gateway', ['localhost'], ['127.0.0.1']);
  const proxy = httpProxy.createProxyServer({ target });
  const server = https.createServer({ cert: certPem, key: keyPem }, (req, res) => {
    if (!expectedAuthorization.includes(req.headers.authorization ?? '')) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Basic realm="prometheus"' });
      res.end('Unauthorized\n');
      return;
    }
    proxy.web(req, res, {}, () => {
      res.writeHead(502);
      res.end('gateway error');
    });
  });
  const close = closer(server);
  const port = await listen(server);
  return {
    url: `https://127.0.0.1:${port}`,
    close: async () => {
      await close();
      proxy.close();
    },
  };
}
