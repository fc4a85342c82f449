// The floor of any proxy built on http-proxy: the same 90/10 random split and keep-alive
// agent as Sluice, and nothing else (no routing rules, metrics, timeouts or header work).
// The benchmark runs it to show how much of Sluice's cost is its own.
// Usage: node bare-http-proxy.js <listen-port> <primary-port> <canary-port>
import http from 'node:http';
import httpProxy from 'http-proxy';

const [listenPort, primaryPort, canaryPort] = process.argv.slice(2).map(Number) as [number, number, number];
const agent = new http.Agent({ keepAlive: true, noDelay: true, maxSockets: 1024, maxFreeSockets: 256, scheduling: 'lifo' });
const proxy = httpProxy.createProxyServer({ toProxy: true });
proxy.on('error', () => {});
proxy.on('proxyRes', (upstream: http.IncomingMessage, _req: http.IncomingMessage, res: http.ServerResponse) => {
  res.writeHead(upstream.statusCode ?? 502, upstream.headers);
  upstream.pipe(res);
});
http
  .createServer((req, res) => {
    const port = Math.random() < 0.9 ? primaryPort : canaryPort;
    proxy.web(req, res, { target: { protocol: 'http:', host: '127.0.0.1', port }, agent, selfHandleResponse: true }, () => {
      res.statusCode = 502;
      res.end();
    });
  })
  .listen(listenPort, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
