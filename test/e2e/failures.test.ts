// What goes wrong around a rollout, end to end with real traffic: the operator killed
// (SIGKILL) in the middle of one, and Prometheus gone in the middle of another.
import { RolloutEnv } from '../harness/rollout-env.js';
import { eventsSince, figuresOf, slackSince, sleep, versionsAfter } from './support.js';

const env = new RolloutEnv('e2e-failures');

beforeAll(() => env.start(), 180_000);
afterAll(() => env.stop(), 60_000);


describe('e2e: failures mid-rollout', () => {
  it('operator killed (SIGKILL) at 25%: the waypoints keep serving, a new operator carries the rollout to one promotion', async () => {
    const load = env.load();
    const since = Date.now();
    await env.rollOut('v2');
    await env.waitForWeight(25);
    await env.killOperator();
    const killedAt = Date.now();
    // Down for a few seconds, longer than an analysis interval.
    await sleep(6000);
    const duringOutage = versionsAfter(load, killedAt + 500);
    env.startOperator();
    await env.waitForPhase('Succeeded', 120_000);
    const promotedAt = Date.now();
    await sleep(1500);
    const figures = await figuresOf(env, load, since, 'operator SIGKILL at 25%', { canaryVersion: 'v2', isBad: (s) => s.status !== 200 });

    expect(figures.failed).toBe(0);
    // The proxies kept the last route they had: both versions answered while no operator ran.
    expect(duringOutage).toEqual(['v1', 'v2']);
    expect(versionsAfter(load, promotedAt + 500)).toEqual(['v2']);
    expect(eventsSince(env, since).filter((e) => e === 'Promoted')).toHaveLength(1);
    expect((await env.eventReasons()).filter((r) => r === 'Promoted')).toHaveLength(1);
    expect(env.operatorStarts).toBe(2);
  }, 180_000);

  it('Prometheus down at 25%: no promotion; the checks fail with a message naming the provider, and the rollout rolls back', async () => {
    const before = (await env.readCanary()).status?.lastAppliedSpec;
    const load = env.load();
    const since = Date.now();
    // A healthy revision: only the missing evidence stops it.
    await env.rollOut('v3');
    await env.waitForWeight(25);
    await env.prometheus?.stop();
    const stoppedAt = Date.now();
    const canary = await env.waitForPhase('Failed', 120_000, before);
    const failedAt = Date.now();
    await sleep(1500);
    const figures = await figuresOf(env, load, since, 'Prometheus down at 25%', { canaryVersion: 'v3', isBad: (s) => s.sentAt >= stoppedAt });
    const message = canary.status?.conditions?.[0]?.message ?? '';
    process.stdout.write(`[e2e] Prometheus down: Failed ${((failedAt - stoppedAt) / 1000).toFixed(1)} s after Prometheus stopped: "${message}"\n`);

    expect(figures.failed).toBe(0);
    // Never promoted: the primary still runs v2 and serves everything.
    expect(env.statusSince(since).map((o) => o.phase)).not.toContain('Promoting');
    const primary = await env.apps.readNamespacedDeployment({ name: 'podinfo-primary', namespace: env.namespace });
    expect(primary.spec?.template.spec?.containers[0]?.image).toBe('sluice.dev/demo-app:v2');
    expect(versionsAfter(load, failedAt)).toEqual(['v2']);
    // The reason is plain: which check, which provider, what happened.
    expect(message).toMatch(/success-rate/);
    expect(message).toMatch(new RegExp(env.prometheus?.url.replace(/[.:/]/g, '.') ?? 'prometheus'));
    expect(canary.status?.analysisResults?.every((r) => r.verdict === 'Failed')).toBe(true);
    expect(slackSince(env, since)).toHaveLength(1);
  }, 180_000);
});
