// A revision that answers correctly but three times slower is rolled back: the builtin
// request-duration metric (p99 of the waypoint's live latency histogram) against a fixed
// thresholdRange, on real components (see support.ts).
import { CanaryTestEnv, canaryFor, demoTarget, sleep } from './support.js';

// The stable version answers in ~20 ms, the bad one in ~60 ms: p99 three times higher.
const BASE_MS = 20;
const SLOW_MS = 60;

const env = new CanaryTestEnv('canary-latency', '127.18.254.3').hooks(() =>
  env.start(
    canaryFor({
      metrics: [
        { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '5s' },
        { name: 'request-duration', thresholdRange: { max: 2 * BASE_MS }, interval: '5s' },
      ],
    }),
    demoTarget('v1', { latencyMs: BASE_MS }),
  ),
);

describe('canary controller: latency', () => {
  let port: number;

  it('initializes', async () => {
    port = await env.initialize();
    expect(await env.versionsServed(port)).toEqual(['v1']);
  });

  it('rolls back a revision with three times the p99 latency and no errors', async () => {
    const load = env.clientLoad(port, { workers: 4 });
    await env.rollOut('v2-slow', { latencyMs: SLOW_MS });
    const failed = await env.waitForPhase('Failed', 120_000);
    const failedAt = Date.now();
    await sleep(1000);
    const result = await load.stop();
    expect(result.meshFailures).toEqual([]);
    expect(result.errorsByVersion).toEqual({});
    expect(result.byVersion['v2-slow']).toBeGreaterThan(0);
    expect(failed.status?.canaryWeight).toBe(0);
    expect(failed.status?.message).toMatch(/request-duration/);
    const duration = failed.status?.analysisResults?.find((r) => r.metric === 'request-duration');
    expect(duration?.value).toBeGreaterThan(2 * BASE_MS);
    expect(failed.status?.lastPromotedSpec).not.toBe(failed.status?.lastAppliedSpec);
    // Clients see the stable version only again.
    const firstSlow = result.firstSeenAt['v2-slow'] ?? failedAt;
    expect(await env.versionsServed(port)).toEqual(['v1']);
    process.stdout.write(
      `[canary-latency] ${result.byVersion['v2-slow'] ?? 0} slow responses of ${result.sent}; ` +
        `${((failedAt - firstSlow) / 1000).toFixed(1)} s from the first slow response to Failed (0% canary); canary p99 ${duration?.value?.toFixed(0) ?? '?'} ms\n`,
    );
  });
});
