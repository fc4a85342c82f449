import type http from 'node:http';
import { LOCAL_REPLY_HEADER } from '../../../proxy/local-reply.js';
import {
  Client,
  countBy,
  endpointsOf,
  expectNoLeakedSockets,
  runConcurrently,
  singleListener,
  sleep,
  startBackend,
  startProxy,
  waitFor,
  type RunningProxy,
  type TestBackend,
} from './helpers.js';

let app: TestBackend;
let spare: TestBackend;
let client: Client;

beforeAll(async () => {
  app = await startBackend('app');
  spare = await startBackend('spare');
});

afterAll(async () => {
  await app.close();
  await spare.close();
});

beforeEach(() => {
  app.seen.length = 0;
  spare.seen.length = 0;
  app.handle(undefined);
  spare.handle(undefined);
  client = new Client(32);
});

afterEach(() => client.close());

function oneRule(rule: Record<string, unknown>, listener: Record<string, unknown> = {}, appEndpoints = endpointsOf(app)) {
  return singleListener([{ name: 'r', backends: [{ name: 'app', weight: 1 }], ...rule }], { app: { endpoints: appEndpoints } }, listener);
}

async function metricValue(running: RunningProxy, pattern: RegExp): Promise<number> {
  const { body } = await running.proxy.metrics.exposition();
  const m = pattern.exec(body);
  return m ? Number(m[1]) : 0;
}

/** Answers from a list of behaviours in turn, then with the last one. */
function sequence(...steps: ((req: http.IncomingMessage, res: http.ServerResponse) => void)[]) {
  let i = 0;
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    const step = steps[Math.min(i++, steps.length - 1)] as (req: http.IncomingMessage, res: http.ServerResponse) => void;
    step(req, res);
  };
}

const reset = (req: http.IncomingMessage) => req.socket.destroy();
const ok = (_req: http.IncomingMessage, res: http.ServerResponse) => res.end('ok');

describe('timeouts', () => {
  it('answers 504 when the backend does not answer within the rule timeout, and drops the upstream request', async () => {
    let upstreamClosed = false;
    app.handle((req) => req.socket.once('close', () => (upstreamClosed = true)));
    const running = await startProxy(oneRule({ timeout: 300 }));
    try {
      const started = Date.now();
      const reply = await client.request(running.port);
      const took = Date.now() - started;
      expect(reply.status).toBe(504);
      expect(reply.headers[LOCAL_REPLY_HEADER]).toBe('upstream-timeout');
      expect(reply.body).toBe('sluice: backend app did not answer within 300 ms\n');
      expect(took).toBeGreaterThanOrEqual(290);
      expect(took).toBeLessThan(2_000);
      await waitFor('the upstream request to be destroyed', () => upstreamClosed);
      expect(running.proxy.statsReport().backends.app).toMatchObject({ requests: 1, errors: 1 });
      client.close();
      await expectNoLeakedSockets(running.proxy, [app]);
    } finally {
      await running.stop();
    }
  }, 30_000);

  it('retries a try that exceeds the per-try timeout', async () => {
    app.handle(sequence(() => {}, ok));
    const running = await startProxy(oneRule({ timeout: 5_000, retries: { attempts: 1, perTryTimeout: 200, backoff: 1 } }));
    try {
      const reply = await client.request(running.port);
      expect(reply).toMatchObject({ status: 200, body: 'ok' });
      expect(app.seen).toHaveLength(2);
      expect(await metricValue(running, /sluice_upstream_errors_total\{route="web\/r",backend="app",kind="timeout"\} (\d+)/)).toBe(1);
    } finally {
      await running.stop();
    }
  }, 30_000);
});

describe('retries', () => {
  it('recover from a backend that resets the connection once', async () => {
    app.handle(sequence(reset, ok));
    const running = await startProxy(oneRule({ retries: { attempts: 2, backoff: 1 } }));
    try {
      const reply = await client.request(running.port);
      expect(reply).toMatchObject({ status: 200, body: 'ok' });
      expect(app.seen).toHaveLength(2);
      expect(await metricValue(running, /sluice_retries_total\{route="web\/r",backend="app"\} (\d+)/)).toBe(1);
      expect(await metricValue(running, /sluice_upstream_errors_total\{route="web\/r",backend="app",kind="reset"\} (\d+)/)).toBe(1);
    } finally {
      await running.stop();
    }
  }, 30_000);

  it('replay a small request body on the retry', async () => {
    app.handle(sequence(reset, ok));
    const running = await startProxy(oneRule({ retries: { attempts: 1, backoff: 1 } }));
    try {
      const reply = await client.request(running.port, { method: 'POST', body: 'x'.repeat(60_000) });
      expect(reply.status).toBe(200);
      expect(app.seen.map((s) => s.body.length)).toEqual([60_000, 60_000]);
    } finally {
      await running.stop();
    }
  }, 30_000);

  it('retry configured status codes', async () => {
    app.handle(
      sequence((_req, res) => {
        res.statusCode = 503;
        res.end('busy');
      }, ok),
    );
    const running = await startProxy(oneRule({ retries: { attempts: 1, retryOn: ['gateway-error'], backoff: 1 } }));
    try {
      expect(await client.request(running.port)).toMatchObject({ status: 200, body: 'ok' });
    } finally {
      await running.stop();
    }
  }, 30_000);

  it('relay the last response when attempts run out', async () => {
    app.handle((_req, res) => {
      res.statusCode = 503;
      res.end('still busy');
    });
    const running = await startProxy(oneRule({ retries: { attempts: 2, backoff: 1 } }));
    try {
      expect(await client.request(running.port)).toMatchObject({ status: 503, body: 'still busy' });
      expect(app.seen).toHaveLength(3);
    } finally {
      await running.stop();
    }
  }, 30_000);

  it('are not made without a retry policy: a reset becomes a clear 502', async () => {
    app.handle(sequence(reset, ok));
    const running = await startProxy(oneRule({}));
    try {
      const reply = await client.request(running.port);
      expect(reply.status).toBe(502);
      expect(reply.headers[LOCAL_REPLY_HEADER]).toBe('upstream-failure');
      expect(reply.body).toBe('sluice: backend app failed: reset\n');
      expect(app.seen).toHaveLength(1);
    } finally {
      await running.stop();
    }
  }, 30_000);

  it('are not made for a streamed body that cannot be replayed', async () => {
    app.handle(sequence(reset, ok));
    const running = await startProxy(oneRule({ retries: { attempts: 2, backoff: 1 } }));
    try {
      const reply = await client.request(running.port, { method: 'POST', body: 'streamed', headers: { 'transfer-encoding': 'chunked' } });
      expect(reply.status).toBe(502);
      expect(app.seen).toHaveLength(1);
    } finally {
      await running.stop();
    }
  }, 30_000);

  it('move to another endpoint after a connect failure', async () => {
    const running = await startProxy(
      oneRule({ retries: { attempts: 1, backoff: 1 } }, { loadBalancing: 'round-robin' }, [
        { address: '127.0.0.1', port: 1, ready: true },
        ...endpointsOf(app),
      ]),
    );
    try {
      const replies = await runConcurrently(20, 1, () => client.request(running.port));
      expect(replies.every((r) => r.status === 200)).toBe(true);
    } finally {
      await running.stop();
    }
  }, 30_000);

  it('are capped by the retry budget', async () => {
    app.handle((_req, res) => {
      // Slow failures keep many requests, and so many retries, in flight at once.
      setTimeout(() => {
        res.statusCode = 503;
        res.end();
      }, 50);
    });
    const running = await startProxy(oneRule({ retries: { attempts: 3, backoff: 1 } }, { retryBudget: { budgetPercent: 0, minRetryConcurrency: 2 } }));
    try {
      const replies = await runConcurrently(40, 20, () => client.request(running.port));
      expect(replies.every((r) => r.status === 503)).toBe(true);
      expect(await metricValue(running, /sluice_retry_budget_exhausted_total\{route="web\/r",backend="app"\} (\d+)/)).toBeGreaterThan(0);
      // Without a budget this would be 40 tries + 120 retries.
      expect(app.seen.length).toBeLessThan(40 + 120);
    } finally {
      await running.stop();
    }
  }, 30_000);
});

describe('outlier ejection', () => {
  it('ejects an endpoint that fails repeatedly and brings it back after the ejection time', async () => {
    spare.handle((_req, res) => {
      res.statusCode = 500;
      res.end('broken');
    });
    const running = await startProxy(
      oneRule(
        {},
        { loadBalancing: 'round-robin', outlierDetection: { consecutiveFailures: 3, baseEjectionTime: 800, maxEjectionPercent: 50 } },
        endpointsOf(app, spare),
      ),
    );
    const ejected = () => metricValue(running, /sluice_ejected_endpoints\{listener="web",backend="app"\} (\d+)/);
    try {
      // Round-robin alternates: the 3rd failure of `spare` comes with request 6.
      const first = await runConcurrently(6, 1, () => client.request(running.port));
      expect(countBy(first, (r) => String(r.status))).toEqual({ '200': 3, '500': 3 });
      expect(await ejected()).toBe(1);
      const whileEjected = await runConcurrently(20, 4, () => client.request(running.port));
      expect(whileEjected.every((r) => r.status === 200)).toBe(true);
      expect(spare.seen).toHaveLength(3);

      // Healed, and back after the ejection time.
      spare.handle(undefined);
      await sleep(900);
      expect(await ejected()).toBe(0);
      const after = await runConcurrently(10, 1, () => client.request(running.port));
      expect(countBy(after, (r) => r.body)).toEqual({ app: 5, spare: 5 });
      expect(await metricValue(running, /sluice_outlier_ejections_total\{listener="web",backend="app"\} (\d+)/)).toBe(1);
    } finally {
      await running.stop();
    }
  }, 30_000);

  it('ejects an endpoint that refuses connections', async () => {
    const running = await startProxy(
      oneRule({}, { loadBalancing: 'round-robin', outlierDetection: { consecutiveFailures: 2, baseEjectionTime: 60_000 } }, [
        ...endpointsOf(app),
        { address: '127.0.0.1', port: 1, ready: true },
      ]),
    );
    try {
      const replies = await runConcurrently(40, 1, () => client.request(running.port));
      // Two 502s eject the dead endpoint; everything after goes to the live one.
      expect(countBy(replies, (r) => String(r.status))).toEqual({ '200': 38, '502': 2 });
    } finally {
      await running.stop();
    }
  }, 30_000);
});

describe('fault injection', () => {
  it('aborts with the configured status without calling the backend', async () => {
    const running = await startProxy(oneRule({ faults: { abort: { percent: 100, httpStatus: 418 } } }));
    try {
      const reply = await client.request(running.port);
      expect(reply.status).toBe(418);
      expect(reply.headers[LOCAL_REPLY_HEADER]).toBe('fault');
      expect(reply.body).toBe('sluice: fault injected by route web/r\n');
      expect(app.seen).toHaveLength(0);
      expect(running.proxy.statsReport().backends.app).toMatchObject({ requests: 1, errors: 0 });
    } finally {
      await running.stop();
    }
  }, 30_000);

  it('aborts the configured share of requests', async () => {
    const running = await startProxy(oneRule({ faults: { abort: { percent: 30, httpStatus: 503 } } }));
    try {
      const replies = await runConcurrently(2_000, 16, () => client.request(running.port));
      const aborted = replies.filter((r) => r.status === 503).length;
      expect(aborted).toBeGreaterThan(2_000 * 0.25);
      expect(aborted).toBeLessThan(2_000 * 0.35);
      expect(app.seen).toHaveLength(2_000 - aborted);
      expect(await metricValue(running, /sluice_faults_injected_total\{route="web\/r",kind="abort"\} (\d+)/)).toBe(aborted);
      expect(running.proxy.statsReport().backends.app?.errors).toBe(aborted);
    } finally {
      await running.stop();
    }
  }, 30_000);

  it('delays requests by the fixed delay before forwarding', async () => {
    const running = await startProxy(oneRule({ faults: { delay: { percent: 100, fixedDelay: 250 } } }));
    try {
      const started = Date.now();
      const replies = await runConcurrently(10, 10, () => client.request(running.port));
      const took = Date.now() - started;
      expect(replies.every((r) => r.status === 200)).toBe(true);
      expect(took).toBeGreaterThanOrEqual(245);
      expect(took).toBeLessThan(2_000);
      expect(await metricValue(running, /sluice_faults_injected_total\{route="web\/r",kind="delay"\} (\d+)/)).toBe(10);
    } finally {
      await running.stop();
    }
  }, 30_000);
});
