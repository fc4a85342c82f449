// A/B testing: `iterations` with `match` on a header. While the analysis runs, exactly the
// requests carrying the header reach the canary and the others never do; then the revision
// is promoted to everyone. Real components (see support.ts).
import { CanaryTestEnv, canaryFor } from './support.js';

const ITERATIONS = 3;
const INSIDER = { 'x-user-group': 'insider' };

const env = new CanaryTestEnv('canary-ab', '127.18.254.5').hooks(() =>
  env.start(canaryFor({ stepWeight: undefined, maxWeight: undefined, iterations: ITERATIONS, match: [{ headers: { 'x-user-group': { exact: 'insider' } } }] })),
);

describe('canary controller: A/B testing', () => {
  let port: number;

  it('initializes', async () => {
    port = await env.initialize();
    expect(await env.versionsServed(port)).toEqual(['v1']);
  });

  it('sends exactly the matching requests to the canary during the analysis, then promotes', async () => {
    const insiders = env.clientLoad(port, { headers: INSIDER });
    const others = env.clientLoad(port);
    await env.rollOut('v2');
    // Until the analysis reaches its last iteration, nobody else may get the canary.
    await env.waitForIterations(ITERATIONS - 1, ['Initialized', 'Progressing']);
    const insiderResult = await insiders.stop();
    const otherResult = await others.stop();

    expect(insiderResult.meshFailures).toEqual([]);
    expect(otherResult.meshFailures).toEqual([]);
    expect(Object.keys(otherResult.byVersion)).toEqual(['v1']);
    // Insiders got the primary until the A/B route was applied, and only the canary after.
    const firstCanary = insiderResult.timeline.findIndex((r) => r.version === 'v2');
    expect(firstCanary).toBeGreaterThanOrEqual(0);
    const afterSwitch = insiderResult.timeline.slice(firstCanary);
    expect(afterSwitch.filter((r) => r.version !== 'v2')).toEqual([]);
    // The analysis ran on the insiders' traffic: several seconds of it.
    expect(afterSwitch.length).toBeGreaterThan(100);
    process.stdout.write(
      `[canary-ab] during the analysis: ${afterSwitch.length} insider requests all on v2; ${otherResult.sent} other requests all on v1\n`,
    );

    const done = await env.waitForPhase('Succeeded', 60_000);
    expect(done.status?.iterations).toBe(ITERATIONS);
    expect(await env.versionsServed(port)).toEqual(['v2']);
    const reasons = await env.eventReasons();
    for (const reason of ['Progressing', 'Promoting', 'Promoted']) expect(reasons).toContain(reason);
  });
});
