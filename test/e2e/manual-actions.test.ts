// Manual promote and abort from the CLI (kubectl-sluice, the built dist/cli/main.js), end to
// end with real traffic. The analysis is slow on purpose (30 s steps): only the manual action
// can finish these rollouts within the test's time.
import { RolloutEnv } from '../harness/rollout-env.js';
import { figuresOf, sleep, versionsAfter } from './support.js';

const env = new RolloutEnv('e2e-manual', { analysis: () => ({ interval: '30s', stepWeight: 10, maxWeight: 50 }) });

beforeAll(() => env.start(), 180_000);
afterAll(() => env.stop(), 60_000);


describe('e2e: manual actions from kubectl-sluice', () => {
  it('promote: the new version takes all traffic long before the analysis would have let it', async () => {
    const load = env.load();
    const since = Date.now();
    await env.rollOut('v2');
    await env.waitForWeight(10);
    const requested = Date.now();
    const result = await env.cli(['promote', 'podinfo']);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    await env.waitForPhase('Succeeded', 60_000);
    const promotedIn = (Date.now() - requested) / 1000;
    const promotedAt = Date.now();
    await sleep(1500);
    const figures = await figuresOf(env, load, since, 'manual promote', { canaryVersion: 'v2', isBad: (s) => s.status !== 200 });
    process.stdout.write(`[e2e] manual promote: Succeeded ${promotedIn.toFixed(1)} s after \`kubectl-sluice promote\`\n`);

    expect(figures.failed).toBe(0);
    // Without the action the rollout would take 5 steps × 30 s.
    expect(promotedIn).toBeLessThan(30);
    expect(versionsAfter(load, promotedAt + 500)).toEqual(['v2']);
    expect((await env.readCanary()).status?.manualAction).toMatchObject({ action: 'promote', state: 'Applied' });
  }, 180_000);

  it('abort: all traffic goes back to the primary at once', async () => {
    const before = (await env.readCanary()).status?.lastAppliedSpec;
    const load = env.load();
    const since = Date.now();
    await env.rollOut('v3');
    await env.waitForWeight(10);
    const requested = Date.now();
    const result = await env.cli(['abort', 'podinfo']);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const canary = await env.waitForPhase('Failed', 60_000, before);
    await sleep(1500);
    const figures = await figuresOf(env, load, since, 'manual abort', { canaryVersion: 'v3', isBad: (s) => s.sentAt >= requested });
    process.stdout.write(`[e2e] manual abort: no canary traffic ${(figures.secondsToNoCanaryTraffic ?? NaN).toFixed(1)} s after \`kubectl-sluice abort\`\n`);

    expect(figures.failed).toBe(0);
    expect(figures.byVersion.v3).toBeGreaterThan(0);
    // "isBad" marks the first v3 answer after the request: from there to no v3 traffic.
    expect(figures.secondsToNoCanaryTraffic ?? 0).toBeLessThan(3);
    expect(canary.status?.canaryWeight).toBe(0);
    expect(canary.status?.manualAction).toMatchObject({ action: 'abort', state: 'Applied' });
    expect(versionsAfter(load, Date.now() - 1000)).toEqual(['v2']);
  }, 180_000);
});
