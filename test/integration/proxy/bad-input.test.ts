import http from 'node:http';
import net from 'node:net';
import {
  Client,
  endpointsOf,
  expectNoLeakedSockets,
  singleListener,
  startBackend,
  startProxy,
  waitFor,
  type RunningProxy,
  type TestBackend,
} from './helpers.js';

let app: TestBackend;
let running: RunningProxy;
let client: Client;
const upstreamAborts: string[] = [];

beforeAll(async () => {
  app = await startBackend('app');
  running = await startProxy(
    singleListener([{ name: 'r', backends: [{ name: 'app', weight: 1 }], retries: { attempts: 1, backoff: 1 } }], { app: { endpoints: endpointsOf(app) } }),
  );
});

afterAll(async () => {
  await running.stop();
  await app.close();
});

beforeEach(() => {
  app.handle(undefined);
  app.seen.length = 0;
  upstreamAborts.length = 0;
  client = new Client();
});

afterEach(async () => {
  client.close();
  app.handle(undefined);
  // Whatever a case did, the proxy still serves and holds no stray socket.
  const fresh = new Client();
  expect(await fresh.request(running.port)).toMatchObject({ status: 200, body: 'app' });
  fresh.close();
  await expectNoLeakedSockets(running.proxy, [app]);
}, 30_000);

/** Sends raw bytes and returns everything the proxy sends back until it closes. */
function rawExchange(port: number, bytes: string | Buffer, endAfterWrite = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(bytes);
      if (endAfterWrite) socket.end();
    });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString()));
    socket.setTimeout(5_000, () => socket.destroy(new Error('no answer')));
  });
}

async function metric(pattern: RegExp): Promise<number> {
  const m = pattern.exec((await running.proxy.metrics.exposition()).body);
  return m ? Number(m[1]) : 0;
}

describe('bad input', () => {
  it('answers a malformed request with 400 and closes the connection', async () => {
    const answer = await rawExchange(running.port, 'THIS IS NOT HTTP\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toMatch(/\r\n\r\nsluice: bad request \(HPE_/);
    expect(app.seen).toHaveLength(0);
  }, 30_000);

  it('answers a request with both Content-Length and Transfer-Encoding with 400 (no smuggling)', async () => {
    const answer = await rawExchange(
      running.port,
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(app.seen.map((s) => s.url)).not.toContain('/smuggled');
  }, 30_000);

  it('answers oversized headers with 431', async () => {
    const answer = await rawExchange(running.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(app.seen).toHaveLength(0);
  }, 30_000);

  it('copes with a client that disconnects in the middle of a small (buffered) body', async () => {
    const socket = net.connect(running.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 50000\r\n\r\n' + 'a'.repeat(1_000));
    await waitFor('the proxy to see the connection', async () => (await running.proxy.connectionCounts()).downstream === 1);
    socket.destroy();
    await waitFor('the request to be counted as abandoned', async () => (await metric(/sluice_requests_total\{route="web\/r",backend="app",code="499",mirrored="false"\} (\d+)/)) >= 1);
    expect(app.seen).toHaveLength(0);
  }, 30_000);

  it('copes with a client that disconnects in the middle of a large (streamed) body, aborting the upstream request', async () => {
    app.handle(() => {});
    const aborted = new Promise<void>((resolve) => {
      app.server.once('request', (req: http.IncomingMessage) => req.once('close', () => resolve()));
    });
    const socket = net.connect(running.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write('PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n' + 'b'.repeat(200_000));
    await waitFor('the upstream request to start', async () => (await running.proxy.connectionCounts()).upstreamActive === 1);
    socket.destroy();
    await aborted;
  }, 30_000);

  it('cuts the response short for the client when the backend closes mid-response', async () => {
    app.handle((req, res) => {
      res.writeHead(200, { 'content-length': '10000' });
      res.write('x'.repeat(100));
      setTimeout(() => req.socket.destroy(), 20);
    });
    await expect(client.request(running.port)).rejects.toThrow(/aborted|socket hang up|ECONNRESET/);
    await waitFor('the broken response to count as an error', async () => (running.proxy.statsReport().backends.app?.errors ?? 0) >= 1);
  }, 30_000);

  it('cuts a chunked response short too, so the client cannot mistake it for complete', async () => {
    app.handle((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
      setTimeout(() => req.socket.destroy(), 20);
    });
    await expect(client.request(running.port)).rejects.toThrow(/aborted|socket hang up|ECONNRESET/);
  }, 30_000);

  it('passes Expect: 100-continue bodies', async () => {
    const reply = await new Promise<{ status: number }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: running.port, method: 'POST', headers: { expect: '100-continue', 'content-length': '5' }, agent: client.agent });
      req.on('continue', () => req.end('hello'));
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      });
      req.on('error', reject);
    });
    expect(reply.status).toBe(200);
    expect(app.seen[0]?.body).toBe('hello');
  }, 30_000);

  it('rejects snapshots that are not snapshots at all, without changing anything', async () => {
    for (const garbage of [null, 'v2', 42, [], { version: 'x' }, { version: 'x', listeners: 'no', backends: {} }]) {
      const result = await running.proxy.applySnapshot(garbage);
      expect(result.ok).toBe(false);
    }
    expect(running.proxy.currentVersion).toBe('v1');
  }, 30_000);
});
