// Blue/green with mirroring: `iterations` with `mirror: true`. While the analysis runs, the
// waypoint answers every client from the primary and sends a copy of each request to the
// canary, whose answers are discarded: clients never see the new version until it is
// promoted, yet the canary serves real traffic. Real components (see support.ts).
//
// The canary is judged by the builtin metrics on the mirrored copies alone (the proxies count
// them apart, per backend): a faulty revision is rolled back on that evidence while clients
// see no error, and a healthy one is promoted, with no webhook to vouch for it.
import { CanaryTestEnv, canaryFor, sleep } from './support.js';

const ITERATIONS = 3;

const env = new CanaryTestEnv('canary-bluegreen', '127.18.254.6').hooks(() =>
  env.start(
    canaryFor({
      stepWeight: undefined,
      maxWeight: undefined,
      iterations: ITERATIONS,
      mirror: true,
      metrics: [
        { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '5s' },
        { name: 'request-duration', thresholdRange: { max: 500 }, interval: '5s' },
      ],
    }),
  ),
);

/** "600 mirrored copies" in an analysis message: how many copies the verdict rested on. */
const copiesJudged = (message: string | undefined): number => Number(/([\d,]+) mirrored copies/.exec(message ?? '')?.[1]?.replace(/,/g, '') ?? NaN);

describe('canary controller: blue/green with mirroring', () => {
  let port: number;

  it('initializes', async () => {
    port = await env.initialize();
    expect(await env.versionsServed(port)).toEqual(['v1']);
  });

  it('rolls back a faulty revision on the evidence of mirrored copies alone, clients seeing only v1 and no error', async () => {
    const load = env.clientLoad(port);
    await env.rollOut('v2-bad', { errorRate: 0.3 });
    const failed = await env.waitForPhase('Failed', 90_000);
    const failedAt = Date.now();
    await sleep(1000);
    const result = await load.stop();

    expect(result.meshFailures).toEqual([]);
    expect(result.appErrors).toBe(0);
    expect(Object.keys(result.byVersion)).toEqual(['v1']);
    // The faulty canary only ever got copies, and the verdict came from them.
    expect(env.servedByVersion['v2-bad'] ?? 0).toBe(0);
    expect(env.mirroredByVersion['v2-bad']).toBeGreaterThan(100);
    expect(failed.status?.message).toMatch(/analysis failed 2 time\(s\).*request-success-rate \d+(\.\d+)?% is below the minimum of 99% \(over 5s, [\d,]+ mirrored copies\)/);
    const success = failed.status?.analysisResults?.find((r) => r.metric === 'request-success-rate');
    expect(success?.verdict).toBe('Failed');
    expect(success?.value).toBeGreaterThan(50);
    expect(success?.value).toBeLessThan(90);
    expect(await env.versionsServed(port)).toEqual(['v1']);
    const firstCopy = env.firstMirroredAt['v2-bad'] ?? failedAt;
    process.stdout.write(
      `[canary-bluegreen] faulty revision (30% errors): rolled back ${((failedAt - firstCopy) / 1000).toFixed(1)} s after its first mirrored copy; ` +
        `${env.mirroredByVersion['v2-bad'] ?? 0} copies served, the last verdict on ${copiesJudged(success?.message)} (success rate ${success?.value?.toFixed(1) ?? '?'}%); ` +
        `clients: ${result.sent} requests, ${result.meshFailures.length + result.appErrors} errors, all answered by v1\n`,
    );
  });

  it('mirrors traffic to a healthy revision without ever showing it to clients, judges the copies and promotes', async () => {
    const load = env.clientLoad(port);
    const startedAt = Date.now();
    await env.rollOut('v3');
    // Until the last iteration, clients must never see the canary.
    const last = await env.waitForIterations(ITERATIONS - 1, ['Failed', 'Progressing']);
    const result = await load.stop();
    const mirrored = env.mirroredByVersion['v3'] ?? 0;

    expect(result.meshFailures).toEqual([]);
    expect(Object.keys(result.byVersion)).toEqual(['v1']);
    // The canary served copies of client requests: most of them, for two analysed intervals.
    expect(mirrored).toBeGreaterThan(100);
    expect(mirrored).toBeLessThanOrEqual(result.sent);
    expect(env.servedByVersion['v3'] ?? 0).toBe(0);
    // Each analysed iteration judged the copies, latency included.
    const results = last.status?.analysisResults ?? [];
    expect(results.map((r) => [r.metric, r.verdict])).toEqual([
      ['request-success-rate', 'Passed'],
      ['request-duration', 'Passed'],
    ]);
    expect(results[0]?.value).toBe(100);
    expect(results[1]?.value).toBeGreaterThan(0);
    expect(copiesJudged(results[0]?.message)).toBeGreaterThan(50);

    const done = await env.waitForPhase('Succeeded', 60_000);
    expect(await env.versionsServed(port)).toEqual(['v3']);
    process.stdout.write(
      `[canary-bluegreen] healthy revision: ${result.sent} client requests all answered by v1 during the analysis; v3 served ${mirrored} mirrored copies ` +
        `(each interval judged on about ${copiesJudged(results[0]?.message)}; p99 ${results[1]?.value?.toFixed(1) ?? '?'} ms); promoted ${((Date.parse(done.status?.lastTransitionTime ?? '') - startedAt) / 1000).toFixed(1)} s after the rollout began\n`,
    );
  });
});
