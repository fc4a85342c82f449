import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  Client,
  endpointsOf,
  expectNoLeakedSockets,
  runConcurrently,
  singleListener,
  startBackend,
  startProxy,
  waitFor,
  type TestBackend,
} from './helpers.js';

let primary: TestBackend;
let shadow: TestBackend;
let client: Client;

beforeAll(async () => {
  primary = await startBackend('primary');
  shadow = await startBackend('shadow');
});

afterAll(async () => {
  await primary.close();
  await shadow.close();
});

beforeEach(() => {
  primary.seen.length = 0;
  shadow.seen.length = 0;
  primary.handle(undefined);
  shadow.handle(undefined);
  client = new Client(32);
});

afterEach(() => client.close());

function mirrored(percent: number, shadowEndpoints: unknown[], mirrorLimits: Record<string, number> = {}) {
  return singleListener(
    [{ name: 'mirrored', backends: [{ name: 'primary', weight: 1 }], mirror: { backend: 'shadow', percent } }],
    { primary: { endpoints: endpointsOf(primary) }, shadow: { endpoints: shadowEndpoints } },
    { mirrorLimits },
  );
}

async function mirrorCount(running: { proxy: { metrics: { exposition(): Promise<{ body: string }> } } }, code: string): Promise<number> {
  const { body } = await running.proxy.metrics.exposition();
  const m = new RegExp(`sluice_requests_total\\{route="web/mirrored",backend="shadow",code="${code}",mirrored="true"\\} (\\d+)`).exec(body);
  return m ? Number(m[1]) : 0;
}

describe('mirroring', () => {
  it('copies requests with their body while the client sees only the primary response', async () => {
    shadow.handle((_req, res) => {
      res.writeHead(500, { 'x-from': 'shadow' });
      res.end('shadow answer nobody must see');
    });
    const running = await startProxy(mirrored(100, endpointsOf(shadow)));
    try {
      const reply = await client.request(running.port, { method: 'POST', path: '/orders?id=3', body: 'order #3', headers: { 'x-user': 'u1' } });
      expect(reply.status).toBe(200);
      expect(reply.body).toBe('primary');
      expect(reply.headers['x-from']).toBeUndefined();
      await waitFor('the mirror copy', () => shadow.seen.length === 1);
      expect(shadow.seen[0]).toMatchObject({ method: 'POST', url: '/orders?id=3', body: 'order #3' });
      expect(shadow.seen[0]?.headers).toMatchObject({ 'x-user': 'u1', 'x-sluice-mirror': 'true' });
      await waitFor('the mirror to be counted', async () => (await mirrorCount(running, '500')) === 1);
      // Copies count apart: the live counters of served traffic never include them, and
      // the mirrored counters have the copy with its error.
      const report = running.proxy.statsReport();
      expect(report.backends.shadow).toBeUndefined();
      expect(report.backends.primary).toMatchObject({ requests: 1, errors: 0 });
      expect(report.mirrored?.shadow).toMatchObject({ requests: 1, errors: 1 });
      expect(report.mirrored?.primary).toBeUndefined();
    } finally {
      await running.stop();
    }
  }, 30_000);

  it('streams a large body to both without buffering it whole', async () => {
    const running = await startProxy(mirrored(100, endpointsOf(shadow)));
    try {
      const body = Buffer.alloc(3 * 1024 * 1024, 'abcdefgh');
      const reply = await client.request(running.port, { method: 'PUT', body, headers: { 'transfer-encoding': 'chunked' } });
      expect(reply.body).toBe('primary');
      await waitFor('the mirror copy', () => shadow.seen.length === 1);
      expect(primary.seen[0]?.body.length).toBe(body.length);
      expect(shadow.seen[0]?.body.length).toBe(body.length);
      expect(shadow.seen[0]?.body === body.toString()).toBe(true);
    } finally {
      await running.stop();
    }
  }, 30_000);

  it('mirrors the configured share of requests', async () => {
    const running = await startProxy(mirrored(25, endpointsOf(shadow)));
    try {
      await runConcurrently(2_000, 16, () => client.request(running.port));
      await waitFor('mirror copies to land', async () => (await mirrorCount(running, '200')) === shadow.seen.length);
      expect(running.proxy.statsReport().mirrored?.shadow).toMatchObject({ requests: shadow.seen.length, errors: 0 });
      expect(shadow.seen.length).toBeGreaterThan(400);
      expect(shadow.seen.length).toBeLessThan(600);
    } finally {
      await running.stop();
    }
  }, 30_000);

  it('does not slow the primary path or fail it when the mirror hangs', async () => {
    const hanging: http.ServerResponse[] = [];
    shadow.handle((_req, res) => hanging.push(res));
    const running = await startProxy(mirrored(100, endpointsOf(shadow), { timeout: 3_000, maxInFlight: 20 }));
    try {
      const started = Date.now();
      const latencies = await runConcurrently(300, 10, async () => {
        const t = Date.now();
        const r = await client.request(running.port, { timeoutMs: 2_000 });
        expect(r.status).toBe(200);
        return Date.now() - t;
      });
      // Had the client waited on the mirror, each request would take the 3 s mirror deadline.
      expect(Math.max(...latencies)).toBeLessThan(1_000);
      expect(Date.now() - started).toBeLessThan(3_000);
      // The in-flight cap held: the hanging mirror got at most 20 copies, the rest were dropped.
      expect(shadow.seen.length).toBeLessThanOrEqual(20);
      const { body } = await running.proxy.metrics.exposition();
      expect(body).toMatch(/sluice_mirror_dropped_total\{route="web\/mirrored",backend="shadow",reason="in-flight-limit"\} (2[89]\d)/);
      // Past the deadline the copies are abandoned and their sockets closed.
      await waitFor('mirror copies to time out', async () => (await mirrorCount(running, '0')) === shadow.seen.length, 6_000);
      client.close();
      await expectNoLeakedSockets(running.proxy, [primary, shadow]);
    } finally {
      for (const res of hanging) res.destroy();
      await running.stop();
    }
  }, 30_000);

  it('does not fail the primary path when the mirror is down', async () => {
    const dead = http.createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const deadPort = (dead.address() as AddressInfo).port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const running = await startProxy(mirrored(100, [{ address: '127.0.0.1', port: deadPort, ready: true }]));
    try {
      const replies = await runConcurrently(200, 10, () => client.request(running.port));
      expect(replies.every((r) => r.status === 200 && r.body === 'primary')).toBe(true);
      await waitFor('failed copies to be counted', async () => (await mirrorCount(running, '0')) === 200);
      // A backend that never answers a copy is a failing one.
      expect(running.proxy.statsReport().mirrored?.shadow).toMatchObject({ requests: 200, errors: 200 });
    } finally {
      await running.stop();
    }
  }, 30_000);

  it('abandons a copy whose mirror cannot keep up with the body, without holding back the primary', async () => {
    // A mirror that accepts the request and never reads its body.
    const sockets = new Set<Socket>();
    const stalled = http.createServer((req) => req.pause());
    stalled.on('connection', (s: Socket) => sockets.add(s));
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
    const port = (stalled.address() as AddressInfo).port;
    const running = await startProxy(mirrored(100, [{ address: '127.0.0.1', port, ready: true }], { maxBufferedBytes: 65_536 }));
    try {
      const body = Buffer.alloc(8 * 1024 * 1024, 'z');
      const reply = await client.request(running.port, { method: 'POST', body, headers: { 'transfer-encoding': 'chunked' }, timeoutMs: 10_000 });
      expect(reply.status).toBe(200);
      expect(primary.seen[0]?.body.length).toBe(body.length);
      const { body: metrics } = await running.proxy.metrics.exposition();
      expect(metrics).toContain('sluice_mirror_dropped_total{route="web/mirrored",backend="shadow",reason="body-overflow"} 1');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => stalled.close(() => resolve()));
      await running.stop();
    }
  }, 30_000);
});
