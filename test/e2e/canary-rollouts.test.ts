// Weighted canary rollouts end to end, with real traffic: the operator, its waypoint pods
// (sluice-proxy processes the pod runner runs), the demo app pods, clients at 100 req/s over
// the waypoint pods, Prometheus scraping the waypoints through its Kubernetes service
// discovery, and the Canary analysed by Prometheus MetricTemplates (success rate ≥ 99%, p99 ≤
// 60 ms, every 5 s, two failed checks roll back). One environment, three revisions in a row:
// a healthy one is promoted, one answering 20% errors and one 3× as slow are rolled back.
import { LATENCY_LIMIT_MS, RolloutEnv } from '../harness/rollout-env.js';
import { eventsSince, figuresOf, slackSince, sleep, versionsAfter } from './support.js';

const env = new RolloutEnv('e2e-canary');
/** interval × threshold of the analysis, in seconds. */
const INTERVAL_S = 5;
const THRESHOLD = 2;

beforeAll(() => env.start(), 180_000);
afterAll(() => env.stop(), 60_000);

describe('e2e: weighted canary with Prometheus analysis', () => {
  it('promotes a healthy revision: clients never see a failure, and end on the new version', async () => {
    const load = env.load();
    const since = Date.now();
    await env.rollOut('v2');
    const canary = await env.waitForPhase('Succeeded', 120_000);
    const promotedAt = Date.now();
    await sleep(1500);
    const figures = await figuresOf(env, load, since, 'promotion', { canaryVersion: 'v2', isBad: (s) => s.status !== 200 });

    expect(figures.failed).toBe(0);
    expect(figures.byVersion.v2).toBeGreaterThan(0);
    expect(versionsAfter(load, promotedAt + 500)).toEqual(['v2']);
    const seen = new Set(env.statusSince(since).map((o) => `${o.phase}:${o.canaryWeight}`));
    expect(seen.has('Progressing:25')).toBe(true);
    expect(seen.has('Progressing:50')).toBe(true);
    expect(canary.status?.analysisResults?.map((r) => [r.metric, r.verdict])).toEqual([
      ['success-rate', 'Passed'],
      ['latency-p99', 'Passed'],
    ]);
    expect(env.webhook?.to('/acceptance').length).toBeGreaterThanOrEqual(1);
    expect(eventsSince(env, since)).toEqual(expect.arrayContaining(['Progressing', 'Promoting', 'Promoted']));
    // Slack hears errors only.
    expect(slackSince(env, since)).toEqual([]);
  }, 180_000);

  it('rolls back a revision answering 20% errors: only its own 500s reach clients, within interval × threshold', async () => {
    const before = (await env.readCanary()).status?.lastAppliedSpec;
    const load = env.load();
    const since = Date.now();
    await env.rollOut('v3', { errorRate: 0.2 });
    const canary = await env.waitForPhase('Failed', 120_000, before);
    const failedAt = Date.now();
    await sleep(1500);
    const figures = await figuresOf(env, load, since, 'rollback on errors', { canaryVersion: 'v3', isBad: (s) => s.status === 500 });

    expect(figures.meshFailures).toEqual({});
    expect(Object.keys(figures.appErrors)).toEqual(['v3']);
    expect(figures.secondsToNoCanaryTraffic).toBeDefined();
    // The first bad answer comes with the first step; the rollback follows the THRESHOLD-th
    // failed check, one interval apart (plus the proxies applying the route).
    expect(figures.secondsToNoCanaryTraffic).toBeLessThan(INTERVAL_S * (THRESHOLD + 1) + 2);
    expect(figures.secondsToZeroWeight).toBeLessThan(INTERVAL_S * (THRESHOLD + 1) + 2);
    expect(versionsAfter(load, failedAt)).toEqual(['v2']);
    expect(canary.status?.canaryWeight).toBe(0);
    expect(canary.status?.conditions?.[0]?.message).toMatch(/success-rate/);
    expect(eventsSince(env, since)).toEqual(expect.arrayContaining(['Progressing', 'AnalysisFailed', 'RolledBack']));
    const slack = slackSince(env, since);
    expect(slack).toHaveLength(1);
    expect(slack[0]).toMatch(/success-rate/);
  }, 180_000);

  it('rolls back a revision 3× as slow as the p99: no client request fails, within interval × threshold', async () => {
    const before = (await env.readCanary()).status?.lastAppliedSpec;
    const load = env.load();
    const since = Date.now();
    await env.rollOut('v4', { latencyMs: 75 });
    const canary = await env.waitForPhase('Failed', 120_000, before);
    const failedAt = Date.now();
    await sleep(1500);
    const figures = await figuresOf(env, load, since, 'rollback on latency', { canaryVersion: 'v4', isBad: (s) => s.ms > LATENCY_LIMIT_MS });

    expect(figures.failed).toBe(0);
    expect(figures.byVersion.v4).toBeGreaterThan(0);
    expect(figures.secondsToNoCanaryTraffic).toBeLessThan(INTERVAL_S * (THRESHOLD + 1) + 2);
    expect(versionsAfter(load, failedAt)).toEqual(['v2']);
    expect(canary.status?.conditions?.[0]?.message).toMatch(/latency-p99/);
    expect(slackSince(env, since)).toHaveLength(1);
  }, 180_000);
});
