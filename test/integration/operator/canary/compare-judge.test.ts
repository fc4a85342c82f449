// The compare judge on errors: a revision answering 30% errors is judged against the primary
// by the sequential test on the waypoint's live counters, every EARLY_CHECK_INTERVAL_MS
// between analysis intervals, and rolled back within seconds. The same bad revision under
// the threshold judge, in the same conditions, gives the figure to compare with.
import { CanaryTestEnv, canaryFor, sleep, type LoadResult } from './support.js';

const env = new CanaryTestEnv('canary-compare', '127.18.254.4').hooks(() =>
  env.start(
    canaryFor({
      metrics: [{ name: 'request-success-rate', interval: '5s' }],
      judge: { mode: 'compare', minRequests: 10, confidence: 0.99, maxRelativeDegradation: 0.1 },
    }),
  ),
);

interface Figures {
  failedRequests: number;
  sent: number;
  seconds: number;
}

async function rollBackBadRevision(port: number, version: string): Promise<{ result: LoadResult; figures: Figures; message: string }> {
  const before = (await env.readCanary()).status?.lastAppliedSpec;
  const load = env.clientLoad(port);
  await env.rollOut(version, { errorRate: 0.3 });
  const failed = await env.waitForPhase('Failed', 120_000, undefined, 100, before);
  const failedAt = Date.now();
  await sleep(1000);
  const result = await load.stop();
  expect(result.meshFailures).toEqual([]);
  expect(failed.status?.canaryWeight).toBe(0);
  expect(failed.status?.lastPromotedSpec).not.toBe(failed.status?.lastAppliedSpec);
  expect(await env.versionsServed(port)).toEqual(['v1']);
  return {
    result,
    figures: { failedRequests: result.appErrors, sent: result.sent, seconds: (failedAt - (result.firstAppErrorAt ?? failedAt)) / 1000 },
    message: failed.status?.message ?? '',
  };
}

describe('canary controller: compare judge', () => {
  let port: number;
  let compare: Figures;

  it('initializes', async () => {
    port = await env.initialize();
    expect(await env.versionsServed(port)).toEqual(['v1']);
  });

  it('rolls back a 30% error revision early, before the first analysis interval ends', async () => {
    const { figures, message } = await rollBackBadRevision(port, 'v2-bad');
    compare = figures;
    // Decided by the early sequential check, not by `threshold` failed intervals.
    expect(message).toMatch(/analysis failed early/);
    expect(message).toMatch(/request-success-rate/);
    expect(figures.seconds).toBeLessThan(10);
    process.stdout.write(
      `[canary-compare] compare judge: ${figures.failedRequests} failed client requests of ${figures.sent}; ${figures.seconds.toFixed(1)} s from the first bad response to Failed\n`,
    );
  });

  it('is faster than the threshold judge on the same revision', async () => {
    await env.patchCanary({ spec: { analysis: { metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '5s' }], judge: { mode: 'threshold' } } } });
    const { figures, message } = await rollBackBadRevision(port, 'v3-bad');
    expect(message).toMatch(/analysis failed 2 time/);
    process.stdout.write(
      `[canary-compare] threshold judge: ${figures.failedRequests} failed client requests of ${figures.sent}; ${figures.seconds.toFixed(1)} s from the first bad response to Failed\n`,
    );
    expect(compare.seconds).toBeLessThan(figures.seconds);
    expect(compare.failedRequests).toBeLessThan(figures.failedRequests);
  });
});
