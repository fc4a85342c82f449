// Blue/green with mirroring: `iterations` with `mirror: true`. While the analysis runs, the
// waypoint answers every client from the primary and sends a copy of each request to the
// canary (whose answers are discarded): clients never see the new version until it is
// promoted, yet the canary serves real traffic. Real components (see support.ts).
//
// The canary is judged by a `rollout` webhook (an acceptance check, as Flagger users run
// with blue/green): the builtin metrics read the proxies' live counters, which leave
// mirrored copies out, so they find no canary traffic to judge during a mirror step.
import { createServer } from 'node:http';
import { CanaryTestEnv, canaryFor, sleep } from './support.js';

const ITERATIONS = 3;

const env = new CanaryTestEnv('canary-bluegreen', '127.18.254.6');

let acceptanceChecks = 0;
const acceptance = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    acceptanceChecks++;
    res.writeHead(200).end();
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => acceptance.listen(0, '127.0.0.1', resolve));
  const address = acceptance.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await env.start(
    canaryFor({
      interval: '5s',
      threshold: 2,
      stepWeight: undefined,
      maxWeight: undefined,
      iterations: ITERATIONS,
      mirror: true,
      metrics: undefined,
      webhooks: [{ name: 'acceptance', type: 'rollout', url: `http://127.0.0.1:${port}/`, timeout: '5s' }],
    }),
  );
}, 120_000);

afterAll(async () => {
  await env.stop();
  await new Promise<void>((resolve) => {
    acceptance.close(() => resolve());
    acceptance.closeAllConnections();
  });
});
// Traffic reached our pod apps, not another test run's on the same addresses.
afterEach(() => expect([...env.addressConflicts]).toEqual([]));

describe('canary controller: blue/green with mirroring', () => {
  let port: number;

  it('initializes', async () => {
    await env.waitForPhase('Initialized', 60_000);
    port = await env.listenerPort();
    await env.waitForTargetScaledToZero();
    expect(await env.versionsServed(port)).toEqual(['v1']);
  });

  it('mirrors traffic to the new version without ever showing it to clients, then promotes', async () => {
    const load = env.clientLoad(port);
    await env.rollOut('v2');
    // Until the last iteration (the next pass promotes, which switches clients over by design).
    let last = await env.readCanary();
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline && !(last.status?.phase === 'Progressing' && (last.status.iterations ?? 0) >= ITERATIONS - 1)) {
      expect(['Initialized', 'Progressing']).toContain(last.status?.phase);
      await sleep(100);
      last = await env.readCanary();
    }
    expect(last.status?.iterations).toBe(ITERATIONS - 1);
    const result = await load.stop();
    const mirrored = env.mirroredByVersion['v2'] ?? 0;
    const direct = env.servedByVersion['v2'] ?? 0;

    expect(result.meshFailures).toEqual([]);
    expect(Object.keys(result.byVersion)).toEqual(['v1']);
    // The canary served copies of client requests: most of them, for two analysed intervals.
    expect(mirrored).toBeGreaterThan(100);
    expect(mirrored).toBeLessThanOrEqual(result.sent);
    // Nothing but mirrored copies reached it (the acceptance check calls no app).
    expect(direct).toBe(0);
    // Each analysed iteration asked the acceptance check.
    expect(acceptanceChecks).toBeGreaterThanOrEqual(ITERATIONS - 1);
    expect(last.status?.analysisResults?.find((r) => r.metric === 'acceptance')?.verdict).toBe('Passed');
    process.stdout.write(`[canary-bluegreen] during the analysis: ${result.sent} client requests all answered by v1; the v2 canary served ${mirrored} mirrored copies (and ${direct} other requests)\n`);

    await env.waitForPhase('Succeeded', 60_000);
    expect(await env.versionsServed(port)).toEqual(['v2']);
  });
});
