// The two ends of a Canary's life on real components (see support.ts): a pod template changed
// while the Canary is still initializing is rolled out like any other new revision, not
// silently taken as the baseline; and a Canary deleted in the middle of a rollout hands the
// service back to the user's Deployment without a failed request. Clients follow the apex
// Service the way kube-proxy would (through the waypoint while a MeshRoute holds it, to the
// Deployment's pods once it is released), so the whole hand-over is under load.
import { waitFor } from '../../../harness/index.js';
import { apps, CanaryTestEnv, canaryFor, core, sleep } from './support.js';

const env = new CanaryTestEnv('canary-lifecycle', '127.18.254.11').hooks(() => env.start(canaryFor()));

const image = async (name: string): Promise<string | undefined> =>
  (await apps.readNamespacedDeployment({ name, namespace: env.namespace })).spec?.template.spec?.containers[0]?.image;

describe('canary controller: initialization and deletion', () => {
  let port: number;

  it('rolls out a template changed while the Canary is initializing', async () => {
    // The primary is cloned from v1; change the template before initialization is over.
    await waitFor('the primary Deployment', async () => (await image('podinfo-primary').catch(() => undefined)) !== undefined, { timeoutMs: 30_000, intervalMs: 20 });
    const before = await env.readCanary();
    await env.rollOut('v2');
    expect(before.status?.phase ?? 'Initializing').toBe('Initializing');
    expect(await image('podinfo-primary')).toBe('sluice.dev/demo-app:v1');

    port = await env.listenerPort();
    const load = env.clientLoad(port);
    const seen = new Set<string>();
    const done = await env.waitForPhase('Succeeded', 120_000, seen);
    const result = await load.stop();
    expect(seen).toContain('Progressing:25');
    expect(done.status?.lastPromotedSpec).toBe(done.status?.lastAppliedSpec);
    expect(await image('podinfo-primary')).toBe('sluice.dev/demo-app:v2');
    expect(result.meshFailures).toEqual([]);
    await sleep(500);
    expect(await env.versionsServed(port)).toEqual(['v2']);
  });

  it('hands the service back to the Deployment when the Canary is deleted mid-rollout, without a failed request', async () => {
    const apex = env.followApex(port);
    const load = env.clientLoad(port, { to: apex.to });
    await env.rollOut('v3');
    let before = await env.readCanary();
    await waitFor(
      'the rollout to serve clients from the canary at a partial weight',
      async () => {
        before = await env.readCanary();
        return before.status?.phase === 'Progressing' && (before.status.canaryWeight ?? 0) > 0 && (env.servedByVersion['v3'] ?? 0) > 100;
      },
      { timeoutMs: 60_000, intervalMs: 50, describe: () => JSON.stringify(before.status, null, 1) },
    );
    const deletedAt = Date.now();
    await env.deleteCanary();
    await env.waitForCanaryGone();
    const finalizedAt = Date.now();
    // Clients carry on well after the hand-over: the Service must keep answering on its own.
    await sleep(3_000);
    const result = await load.stop();
    await apex.stop();

    expect(before.status?.canaryWeight).toBeLessThan(100);
    // Under load through the mesh before the deletion, with the canary answering part of it.
    expect(result.timeline.filter((r) => r.at < deletedAt && r.via === 'waypoint' && r.version === 'v3').length).toBeGreaterThan(50);
    expect(result.meshFailures).toEqual([]);
    expect(result.appErrors).toBe(0);
    const after = result.timeline.filter((r) => r.at > finalizedAt + 1_000);
    expect(after.length).toBeGreaterThan(50);
    // Served by the user's Deployment's own pods, through the Service, no mesh in between.
    expect(after.filter((r) => r.via !== 'endpoint' || r.version !== 'v3')).toEqual([]);

    const target = await apps.readNamespacedDeployment({ name: 'podinfo', namespace: env.namespace });
    expect(target.spec?.replicas).toBe(2);
    expect(target.status?.readyReplicas).toBe(2);
    const service = await core.readNamespacedService({ name: 'podinfo', namespace: env.namespace });
    expect(service.spec?.selector).toEqual({ app: 'podinfo' });
    expect(service.spec?.ports?.map((p) => p.targetPort)).toEqual([8080]);
    expect(Object.keys(service.metadata?.annotations ?? {}).filter((k) => k.startsWith('sluice.dev/'))).toEqual([]);
    // Nothing of the Canary is left to take the Service with it when it is garbage-collected.
    expect(service.metadata?.ownerReferences ?? []).toEqual([]);
    await env.waitForCleanup();
    // Only the user's own objects are left.
    expect((await apps.listNamespacedDeployment({ namespace: env.namespace })).items.map((d) => d.metadata?.name)).toEqual(['podinfo']);
    expect((await core.listNamespacedService({ namespace: env.namespace })).items.map((s) => s.metadata?.name)).toEqual(['podinfo']);
    expect(await env.eventReasons()).toContain('Terminated');
    const viaWaypoint = result.timeline.filter((r) => r.via === 'waypoint').length;
    process.stdout.write(
      `[canary-lifecycle] deleted at canary weight ${before.status?.canaryWeight ?? 0}%: finalized ${((finalizedAt - deletedAt) / 1000).toFixed(1)} s later; ` +
        `${result.sent} client requests (${viaWaypoint} through the waypoint, ${result.sent - viaWaypoint} to the Deployment's pods), ${result.meshFailures.length + result.appErrors} failed\n`,
    );
  });
});
