import { LOCAL_REPLY_HEADER } from '../../../proxy/local-reply.js';
import {
  Client,
  countBy,
  endpointsOf,
  expectNoLeakedSockets,
  runConcurrently,
  singleListener,
  startBackend,
  startProxy,
  type RunningProxy,
  type TestBackend,
} from './helpers.js';

let primary: TestBackend;
let canary: TestBackend;
let client: Client;

beforeAll(async () => {
  primary = await startBackend('primary');
  canary = await startBackend('canary');
});

afterAll(async () => {
  await primary.close();
  await canary.close();
});

beforeEach(() => {
  client = new Client(32);
});

afterEach(() => {
  client.close();
});

function backends(): Record<string, unknown> {
  return {
    primary: { endpoints: endpointsOf(primary) },
    canary: { endpoints: endpointsOf(canary) },
    empty: { endpoints: [{ address: '127.0.0.1', port: 1, ready: false }] },
  };
}

describe('weighted split', () => {
  it.each([
    [90, 10],
    [50, 50],
    [99, 1],
  ])('holds %i/%i within 2 points over 10,000 requests', async (p, c) => {
    const running = await startProxy(
      singleListener(
        [
          {
            name: 'split',
            backends: [
              { name: 'primary', weight: p },
              { name: 'canary', weight: c },
            ],
          },
        ],
        backends(),
      ),
    );
    try {
      const replies = await runConcurrently(10_000, 32, () => client.request(running.port));
      const statuses = countBy(replies, (r) => String(r.status));
      expect(statuses).toEqual({ '200': 10_000 });
      const byBackend = countBy(replies, (r) => r.body);
      const canaryShare = ((byBackend.canary ?? 0) / 10_000) * 100;
      expect(Math.abs(canaryShare - c)).toBeLessThanOrEqual(2);
      // The live counters saw the same split.
      const report = running.proxy.statsReport();
      expect(report.backends.canary?.requests ?? 0).toBe(byBackend.canary ?? 0);
      expect(report.backends.primary?.requests ?? 0).toBe(byBackend.primary ?? 0);
      client.close();
      await expectNoLeakedSockets(running.proxy, [primary, canary]);
    } finally {
      await running.stop();
    }
  }, 60_000);
});

describe('matches in rule order', () => {
  let running: RunningProxy;

  beforeAll(async () => {
    running = await startProxy(
      singleListener(
        [
          { name: 'by-header', matches: [{ headers: [{ name: 'x-canary', exact: 'always' }] }], backends: [{ name: 'canary', weight: 1 }] },
          { name: 'by-cookie', matches: [{ cookies: [{ name: 'tier', regex: 'beta|alpha' }] }], backends: [{ name: 'canary', weight: 1 }] },
          { name: 'by-query', matches: [{ queryParams: [{ name: 'version', exact: 'next' }] }], backends: [{ name: 'canary', weight: 1 }] },
          { name: 'by-method-and-path', matches: [{ method: 'POST', path: { prefix: '/api/orders' } }], backends: [{ name: 'canary', weight: 1 }] },
          { name: 'not-found-here', matches: [{ path: { exact: '/broken' } }], backends: [{ name: 'empty', weight: 1 }] },
          // Would catch everything above if order did not matter.
          { name: 'api', matches: [{ path: { prefix: '/api' } }, { path: { regex: '/v[0-9]+/.*' } }], backends: [{ name: 'primary', weight: 1 }] },
        ],
        backends(),
      ),
    );
  });

  afterAll(async () => {
    await running.stop();
  });

  it.each<[string, { method?: string; path: string; headers?: Record<string, string> }, number, string]>([
    ['a header', { path: '/api/x', headers: { 'X-Canary': 'always' } }, 200, 'canary'],
    ['a header with another value', { path: '/api/x', headers: { 'X-Canary': 'never' } }, 200, 'primary'],
    ['a cookie', { path: '/api/x', headers: { cookie: 'session=1; tier=beta' } }, 200, 'canary'],
    ['a cookie that does not fully match the regex', { path: '/api/x', headers: { cookie: 'tier=betamax' } }, 200, 'primary'],
    ['a query parameter', { path: '/api/x?version=next&x=1', headers: {} }, 200, 'canary'],
    ['method and path together', { method: 'POST', path: '/api/orders/17' }, 200, 'canary'],
    ['the path alone (method differs)', { method: 'GET', path: '/api/orders/17' }, 200, 'primary'],
    ['a path regex', { path: '/v2/things' }, 200, 'primary'],
  ])('routes by %s', async (_what, spec, status, body) => {
    const reply = await client.request(running.port, spec);
    expect(reply.status).toBe(status);
    expect(reply.body).toBe(body);
  });

  it('answers 404 with a clear body when no rule matches', async () => {
    const reply = await client.request(running.port, { path: '/nothing/here' });
    expect(reply.status).toBe(404);
    expect(reply.headers[LOCAL_REPLY_HEADER]).toBe('no-route');
    expect(reply.body).toBe('sluice: no route of listener web matches GET /nothing/here\n');
  });

  it('answers 503 with a clear body when the backend has no ready endpoint', async () => {
    const reply = await client.request(running.port, { path: '/broken' });
    expect(reply.status).toBe(503);
    expect(reply.headers[LOCAL_REPLY_HEADER]).toBe('no-endpoint');
    expect(reply.body).toBe('sluice: backend empty has no ready endpoint\n');
  });

  it('counts requests per route and backend in metrics', async () => {
    await client.request(running.port, { path: '/api/metrics-check', headers: { 'x-canary': 'always' } });
    const { body } = await running.proxy.metrics.exposition();
    expect(body).toMatch(/sluice_requests_total\{route="web\/by-header",backend="canary",code="200",mirrored="false"\} [1-9]/);
    expect(body).toMatch(/sluice_requests_total\{route="web\/\(none\)",backend="\(none\)",code="404",mirrored="false"\} [1-9]/);
    // The histogram is labelled per route and backend; which bucket a request lands in depends
    // on how loaded the machine is, so only the total is asserted.
    expect(body).toMatch(/sluice_request_duration_seconds_bucket\{route="web\/by-header",backend="canary",mirrored="false",le="\+Inf"\} [1-9]/);
    expect(body).toMatch(/sluice_request_duration_seconds_count\{route="web\/by-header",backend="canary",mirrored="false"\} [1-9]/);
  });
});

describe('forwarded requests', () => {
  it('strips hop-by-hop headers, sets x-forwarded-*, keeps Host, method, path and body', async () => {
    const running = await startProxy(singleListener([{ name: 'all', backends: [{ name: 'primary', weight: 1 }] }], backends()));
    try {
      primary.seen.length = 0;
      const reply = await client.request(running.port, {
        method: 'PUT',
        path: '/items/7?x=1',
        headers: {
          host: 'podinfo.test:9898',
          connection: 'keep-alive, x-hop',
          'x-hop': 'must not pass',
          'keep-alive': 'timeout=5',
          te: 'trailers',
          'proxy-authorization': 'Basic abc',
          'x-end-to-end': 'kept',
        },
        body: '{"n":7}',
      });
      expect(reply.status).toBe(200);
      const seen = primary.seen[0];
      expect(seen).toMatchObject({ method: 'PUT', url: '/items/7?x=1', body: '{"n":7}' });
      expect(seen?.headers).toMatchObject({
        host: 'podinfo.test:9898',
        'x-end-to-end': 'kept',
        'x-forwarded-for': '127.0.0.1',
        'x-forwarded-proto': 'http',
        'x-forwarded-host': 'podinfo.test:9898',
        'content-length': '7',
      });
      for (const h of ['x-hop', 'keep-alive', 'te', 'proxy-authorization']) expect(seen?.rawHeaderNames).not.toContain(h);
      // The proxy keeps its upstream connection alive for the next request.
      expect(seen?.headers.connection).toBe('keep-alive');
    } finally {
      await running.stop();
    }
  });

  it('strips hop-by-hop headers from responses', async () => {
    primary.handle((_req, res) => {
      res.writeHead(200, { connection: 'keep-alive, x-internal', 'x-internal': 'secret', 'x-public': 'yes' });
      res.end('ok');
    });
    const running = await startProxy(singleListener([{ name: 'all', backends: [{ name: 'primary', weight: 1 }] }], backends()));
    try {
      const reply = await client.request(running.port);
      expect(reply.body).toBe('ok');
      expect(reply.headers['x-public']).toBe('yes');
      expect(reply.headers['x-internal']).toBeUndefined();
    } finally {
      primary.handle(undefined);
      await running.stop();
    }
  });
});

describe('sticky sessions', () => {
  it('keeps a client on the backend it first got, and re-balances after a rollback', async () => {
    const rules = (canaryWeight: number) => [
      {
        name: 'sticky',
        backends: [
          { name: 'primary', weight: 100 - canaryWeight },
          { name: 'canary', weight: canaryWeight },
        ],
        sessionAffinity: { cookieName: 'sluice-web', maxAge: 600_000 },
      },
    ];
    const running = await startProxy(singleListener(rules(30), backends()));
    try {
      // 200 users each make a first request, then 5 more with the cookie they got.
      const users = await runConcurrently(200, 20, async () => {
        const first = await client.request(running.port);
        const setCookie = first.headers['set-cookie']?.[0] ?? '';
        expect(setCookie).toMatch(/^sluice-web=(primary|canary); Path=\/; Max-Age=600; HttpOnly; SameSite=Lax$/);
        const cookie = setCookie.split(';')[0] as string;
        const later = [];
        for (let i = 0; i < 5; i++) later.push(await client.request(running.port, { headers: { cookie } }));
        return { first: first.body, later };
      });
      for (const u of users) {
        for (const r of u.later) {
          expect(r.body).toBe(u.first);
          expect(r.headers['set-cookie']).toBeUndefined();
        }
      }
      const canaryUsers = users.filter((u) => u.first === 'canary').length;
      expect(canaryUsers).toBeGreaterThan(30);
      expect(canaryUsers).toBeLessThan(90);

      // Rollback: canary weight 0. A canary user is moved and told so.
      const applied = await running.proxy.applySnapshot(singleListener(rules(0), backends(), {}, 'v2'));
      expect(applied.ok).toBe(true);
      const moved = await client.request(running.port, { headers: { cookie: 'sluice-web=canary' } });
      expect(moved.body).toBe('primary');
      expect(moved.headers['set-cookie']?.[0]).toMatch(/^sluice-web=primary;/);
    } finally {
      await running.stop();
    }
  }, 30_000);
});
