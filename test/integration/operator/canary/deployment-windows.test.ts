// Deployment windows on real components (see support.ts): a new revision that arrives while
// every window is closed is detected but not started (Waiting, no canary pods, no traffic,
// a message saying when the next window opens), and its rollout starts when that window
// opens, on the operator's own timer rather than on some later event.
import { waitFor } from '../../../harness/index.js';
import { apps, CanaryTestEnv, canaryFor, sleep } from './support.js';

const env = new CanaryTestEnv('canary-windows', '127.18.254.12').hooks(() => env.start(canaryFor()));

/** A daily window opening at `at` (UTC, to the second), open for an hour. */
function dailyWindowAt(at: Date): { schedule: string; duration: string; timeZone: string } {
  return { schedule: `${at.getUTCSeconds()} ${at.getUTCMinutes()} ${at.getUTCHours()} * * *`, duration: '1h', timeZone: 'UTC' };
}

describe('canary controller: deployment windows', () => {
  it('waits outside the windows without starting the rollout, and starts it when the window opens', async () => {
    const port = await env.initialize();
    // Far enough ahead to see the wait, near enough to keep the test short.
    const opensAt = new Date(Math.ceil((Date.now() + 20_000) / 1000) * 1000);
    await env.patchCanary({ spec: { analysis: { windows: [dailyWindowAt(opensAt)] } } });
    await waitFor(
      'the operator to see the windows',
      async () => {
        const canary = await env.readCanary();
        return canary.status?.observedGeneration === canary.metadata.generation;
      },
      { timeoutMs: 10_000 },
    );

    const load = env.clientLoad(port);
    await env.rollOut('v2');
    const waiting = await env.waitForPhase('Waiting', 10_000);
    const revision = waiting.status?.message?.match(/^new revision (\S+) detected/)?.[1];
    expect(revision).toBeDefined();
    expect(revision).not.toBe(waiting.status?.lastAppliedSpec);
    expect(waiting.status?.message).toBe(`new revision ${revision} detected; outside the deployment windows; the next window opens at ${opensAt.toISOString()}`);

    // Held until the window opens: no canary pods, no traffic to the new revision.
    let maxTargetReplicas = 0;
    while (Date.now() < opensAt.getTime() - 1_000) {
      const canary = await env.readCanary();
      expect({ phase: canary.status?.phase, weight: canary.status?.canaryWeight ?? 0 }).toEqual({ phase: 'Waiting', weight: 0 });
      maxTargetReplicas = Math.max(maxTargetReplicas, (await apps.readNamespacedDeployment({ name: 'podinfo', namespace: env.namespace })).spec?.replicas ?? 0);
      await sleep(250);
    }
    expect(maxTargetReplicas).toBe(0);
    expect(await env.eventReasons()).toContain('Waiting');
    expect(await env.eventReasons()).not.toContain('Progressing');

    const started = await env.waitForPhase('Progressing', 15_000, undefined, 50);
    const startedAt = Date.parse(started.status?.rollout?.startedAt ?? '');
    const delayMs = startedAt - opensAt.getTime();
    expect(started.status?.lastAppliedSpec).toBe(revision);
    // On the requeue the operator scheduled for the opening, not a poll an interval (5 s) later.
    expect(delayMs).toBeGreaterThanOrEqual(0);
    expect(delayMs).toBeLessThan(2_000);

    const done = await env.waitForPhase('Succeeded', 90_000);
    const result = await load.stop();
    expect(done.status?.lastPromotedSpec).toBe(revision);
    expect(result.meshFailures).toEqual([]);
    expect(result.appErrors).toBe(0);
    // No v2 answer before the window opened.
    expect(result.timeline.filter((r) => r.version === 'v2' && r.at < opensAt.getTime())).toEqual([]);
    expect(result.byVersion['v2']).toBeGreaterThan(0);
    process.stdout.write(`[canary-windows] rollout started ${delayMs} ms after the window opened; ${result.sent} client requests, none failed\n`);
  });
});
