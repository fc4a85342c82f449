// A/B testing by header and blue/green with mirroring, end to end with real traffic (see
// canary-rollouts.test.ts for the environment). Each mode in its own namespace, since the
// Canary's analysis differs.
//
// Mirroring: the builtin metrics leave mirrored copies out of the analysis, and counting
// them there is being built elsewhere; the blue/green Canary here is judged by a Prometheus
// template that counts every answer the canary gave, mirrored copies included, which is what
// works today and is what Flagger users write for Istio mirroring. The proxies record no
// latency for mirrored copies, so latency is not judged in this mode.
import { RolloutEnv } from '../harness/rollout-env.js';
import type { LoadSample } from '../harness/load-generator.js';
import { figuresOf, sleep, versionsAfter } from './support.js';

const ITERATIONS = 3;

/** Samples sent while the Canary was Progressing, leaving `marginMs` at both ends for routes to apply. */
function duringAnalysis(env: RolloutEnv, samples: readonly LoadSample[], since: number, marginMs = 1000): LoadSample[] {
  const observations = env.statusSince(since);
  const start = observations.find((o) => o.phase === 'Progressing')?.at;
  const end = observations.find((o) => start !== undefined && o.at > start && o.phase !== 'Progressing')?.at;
  if (start === undefined || end === undefined) throw new Error(`no Progressing window in ${JSON.stringify(observations)}`);
  return samples.filter((s) => s.sentAt > start + marginMs && s.sentAt < end - marginMs);
}

describe('e2e: A/B testing by header', () => {
  const env = new RolloutEnv('e2e-ab', {
    analysis: () => ({
      stepWeight: undefined,
      maxWeight: undefined,
      iterations: ITERATIONS,
      match: [{ headers: { 'x-canary': { exact: 'insider' } } }],
    }),
  });
  beforeAll(() => env.start(), 180_000);
  afterAll(() => env.stop(), 60_000);

  it('sends exactly the requests with the header to the new version during the analysis, then promotes it', async () => {
    const load = env.load({ kinds: [{ label: 'insider', share: 0.3, headers: { 'x-canary': 'insider' } }] });
    const since = Date.now();
    await env.rollOut('v2');
    await env.waitForPhase('Succeeded', 120_000);
    const promotedAt = Date.now();
    await sleep(1500);
    const figures = await figuresOf(env, load, since, 'A/B by header', { canaryVersion: 'v2', isBad: (s) => s.status !== 200 });

    expect(figures.failed).toBe(0);
    const analysed = duringAnalysis(env, load.samples, since);
    const insiders = analysed.filter((s) => s.kind === 'insider');
    const others = analysed.filter((s) => s.kind !== 'insider');
    expect(insiders.length).toBeGreaterThan(100);
    expect(others.length).toBeGreaterThan(100);
    expect([...new Set(insiders.map((s) => s.version))]).toEqual(['v2']);
    expect([...new Set(others.map((s) => s.version))]).toEqual(['v1']);
    expect(versionsAfter(load, promotedAt + 500)).toEqual(['v2']);
    const canary = await env.readCanary();
    expect(canary.status?.analysisResults?.map((r) => r.verdict)).toEqual(['Passed', 'Passed']);
  }, 180_000);
});

describe('e2e: blue/green with mirroring', () => {
  const env = new RolloutEnv('e2e-mirror', {
    analysis: () => ({
      stepWeight: undefined,
      maxWeight: undefined,
      iterations: ITERATIONS,
      mirror: true,
      // The proxies' latency histogram leaves mirrored copies out, so there is no canary
      // latency to judge while it only serves copies: the success rate alone decides.
      metrics: [{ name: 'success-rate', templateRef: { name: 'success-rate-with-mirrors' }, thresholdRange: { min: 99 }, interval: '5s' }],
    }),
  });
  beforeAll(() => env.start(), 180_000);
  afterAll(() => env.stop(), 60_000);

  async function mirroredToCanary(): Promise<number> {
    const result = (await env.prometheus?.query(`sum(sluice_requests_total{namespace="${env.namespace}",backend="podinfo-canary",mirrored="true"})`)) as { value: [number, string] }[];
    return Number(result[0]?.value[1] ?? 0);
  }

  it('shows clients only the primary while the canary serves mirrored copies, then promotes', async () => {
    const load = env.load();
    const since = Date.now();
    await env.rollOut('v2');
    await env.waitForPhase('Succeeded', 120_000);
    const promotedAt = Date.now();
    await sleep(1500);
    const figures = await figuresOf(env, load, since, 'blue/green with mirroring', { canaryVersion: 'v2', isBad: (s) => s.status !== 200 });

    expect(figures.failed).toBe(0);
    const analysed = duringAnalysis(env, load.samples, since);
    expect(analysed.length).toBeGreaterThan(500);
    expect([...new Set(analysed.map((s) => s.version))]).toEqual(['v1']);
    // The canary served (and the waypoints counted) copies of the clients' requests.
    expect(await mirroredToCanary()).toBeGreaterThan(500);
    expect(versionsAfter(load, promotedAt + 500)).toEqual(['v2']);
  }, 180_000);

  it('rolls back a revision failing only on mirrored copies: no client ever sees one of its errors', async () => {
    const before = (await env.readCanary()).status?.lastAppliedSpec;
    const load = env.load();
    const since = Date.now();
    await env.rollOut('v3', { errorRate: 0.2 });
    const canary = await env.waitForPhase('Failed', 120_000, before);
    await sleep(1000);
    const figures = await figuresOf(env, load, since, 'blue/green with mirroring, faulty', { canaryVersion: 'v3', isBad: (s) => s.status === 500 });

    expect(figures.failed).toBe(0);
    expect(figures.byVersion.v3).toBeUndefined();
    expect(canary.status?.conditions?.[0]?.message).toMatch(/success-rate/);
    const rolledBackAfter = (env.statusSince(since).find((o) => o.phase === 'Failed')?.at ?? 0) - (env.statusSince(since).find((o) => o.phase === 'Progressing')?.at ?? 0);
    process.stdout.write(`[e2e] blue/green with mirroring, faulty: rolled back ${(rolledBackAfter / 1000).toFixed(1)} s after the analysis started\n`);
    expect(rolledBackAfter).toBeLessThan(5_000 * 3 + 2_000);
  }, 180_000);
});
