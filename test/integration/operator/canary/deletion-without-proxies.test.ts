// Deleting a Canary whose waypoint has no proxy connected, on real components (see
// support.ts). The operator runs the waypoint Deployment itself here (--waypoint-image, one
// replica), so status.proxies.desired is 1 whatever runs: kwok starts its pod, but no proxy
// process ever runs in it, as when the image cannot be pulled. The harness's own proxy
// process stands in for that pod's proxy (under the pod's name, which is how the operator
// tells which pod a proxy serves) until the test stops it. With no proxy connected, nothing
// can acknowledge the hand-back route; deletion must not wait for it forever, and must still
// give the user's Deployment its pods and the apex Service back. A waypoint that never had a
// proxy never gets the apex Service at all: nothing would answer its clients.
import { join } from 'node:path';
import type { MeshRoute } from '../../../../crds/meshroute.js';
import { WAYPOINT_NAME } from '../../../../operator/meshroute/waypoint.js';
import { waitFor } from '../../../harness/index.js';
import { ManagedProcess } from '../../../harness/managed-process.js';
import { apps, CanaryTestEnv, canaryFor, core, custom, sleep } from './support.js';

const env = new CanaryTestEnv('canary-no-proxies', '127.18.254.13').hooks(() =>
  env.start(canaryFor(), undefined, ['--waypoint-image=ghcr.io/sluice-dev/sluice:test', '--waypoint-replicas=1']),
);

let standIn: ManagedProcess | undefined;
afterAll(() => standIn?.stop());

/**
 * Replaces the harness's proxy by one that connects as the waypoint pod's own proxy: the
 * operator hands the apex to the waypoint only once every ready waypoint pod's proxy serves
 * the route, and it knows a pod's proxy by the pod's name.
 */
async function standInForWaypointPod(): Promise<void> {
  let pod = '';
  await waitFor(
    'the waypoint pod',
    async () => {
      const pods = await core.listNamespacedPod({ namespace: env.namespace, labelSelector: `app.kubernetes.io/name=${WAYPOINT_NAME}` });
      pod = pods.items[0]?.metadata?.name ?? '';
      return pod !== '';
    },
    { timeoutMs: 30_000, intervalMs: 50 },
  );
  const harnessProxy = env.proxy;
  if (!harnessProxy) throw new Error('the test environment runs no proxy');
  await harnessProxy.kill();
  standIn = new ManagedProcess({
    ...harnessProxy.options,
    name: 'sluice-proxy (waypoint pod)',
    args: harnessProxy.options.args.map((a) => (a.startsWith('--proxy-id=') ? `--proxy-id=${pod}` : a)),
    logFile: join(env.dir, 'proxy-waypoint-pod.log'),
  });
  env.proxy = standIn;
}

async function readRoute(): Promise<MeshRoute> {
  return (await custom.getNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace: env.namespace, plural: 'meshroutes', name: 'podinfo' })) as MeshRoute;
}

/** Deletes the Canary and checks that it is finalized with the service given back; returns the seconds it took. */
async function deleteAndExpectHandedBack(): Promise<number> {
  const deletedAt = Date.now();
  await env.deleteCanary();
  await env.waitForCanaryGone(60_000);
  const seconds = (Date.now() - deletedAt) / 1000;

  const target = await apps.readNamespacedDeployment({ name: 'podinfo', namespace: env.namespace });
  expect(target.spec?.replicas).toBe(2);
  expect(target.status?.readyReplicas).toBe(2);
  const service = await core.readNamespacedService({ name: 'podinfo', namespace: env.namespace });
  expect(service.spec?.selector).toEqual({ app: 'podinfo' });
  expect(service.spec?.ports?.map((p) => p.targetPort)).toEqual([8080]);
  expect(Object.keys(service.metadata?.annotations ?? {}).filter((k) => k.startsWith('sluice.dev/'))).toEqual([]);
  expect(service.metadata?.ownerReferences ?? []).toEqual([]);
  await env.waitForCleanup();
  expect(await env.eventReasons()).toContain('Terminated');

  // Clients of the Service reach the Deployment's own pods.
  await waitFor('the apex Service to list the Deployment\'s two pods', async () => (await env.apexEndpoints()).length === 2, { timeoutMs: 15_000 });
  const apex = env.followApex(0);
  await sleep(200);
  const load = env.clientLoad(0, { to: apex.to });
  await sleep(1_000);
  const result = await load.stop();
  await apex.stop();
  expect(result.sent).toBeGreaterThan(20);
  expect(result.timeline.filter((r) => r.via !== 'endpoint' || r.status !== 200 || r.version !== 'v1')).toEqual([]);
  return seconds;
}

describe('canary controller: deletion with no waypoint proxy connected', () => {
  it('reports a waypoint whose proxy went away in the MeshRoute status, and deletion still hands the service back', async () => {
    await standInForWaypointPod();
    await env.initialize();
    let route = await readRoute();
    await waitFor(
      'the MeshRoute to report the proxy connected and on its version',
      async () => {
        route = await readRoute();
        const p = route.status?.proxies;
        return p?.desired === 1 && p.connected === 1 && p.applied === 1;
      },
      { timeoutMs: 10_000, describe: () => JSON.stringify(route.status, null, 1) },
    );

    await env.proxy?.kill();
    await waitFor(
      'the MeshRoute to report no proxy connected',
      async () => {
        route = await readRoute();
        return route.status?.proxies?.connected === 0;
      },
      { timeoutMs: 30_000, describe: () => JSON.stringify(route.status, null, 1) },
    );
    expect(route.status?.proxies).toMatchObject({ desired: 1, connected: 0 });
    expect(route.status?.conditions?.find((c) => c.type === 'Programmed')).toMatchObject({
      status: 'False',
      message: 'none of the 1 waypoint proxies is connected to the operator: are the waypoint pods running?',
    });
    // The target is at zero: deletion has to scale it back up before it gives it the apex.
    expect((await apps.readNamespacedDeployment({ name: 'podinfo', namespace: env.namespace })).spec?.replicas).toBe(0);

    const seconds = await deleteAndExpectHandedBack();
    process.stdout.write(`[canary-no-proxies] proxy gone after initialization: Canary finalized ${seconds.toFixed(1)} s after its deletion\n`);
  });

  it('deletes a Canary whose waypoint never had a proxy, stuck initializing, and gives the service back', async () => {
    await custom.createNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace: env.namespace, plural: 'canaries', body: canaryFor() });
    let route: MeshRoute | undefined;
    await waitFor(
      'the MeshRoute to wait for the ready waypoint pod to have a proxy before it takes over the apex',
      async () => {
        route = await readRoute().catch(() => undefined);
        const programmed = route?.status?.conditions?.find((c) => c.type === 'Programmed');
        return route?.status?.proxies?.connected === 0 && programmed?.reason === 'TakeoverPending' && programmed.message.includes('is ready but its proxy is not connected to the operator');
      },
      { timeoutMs: 30_000, describe: () => JSON.stringify(route?.status, null, 1) },
    );
    expect(route?.status?.proxies).toMatchObject({ desired: 1, connected: 0, applied: 0 });
    expect(route?.status?.conditions?.find((c) => c.type === 'Programmed')?.message).toMatch(
      /^waiting for a ready waypoint proxy with this route \(listener \d+\) before taking over Service podinfo: 0\/1 ready waypoint pods serve it; pod sluice-waypoint-\S+ is ready but its proxy is not connected to the operator$/,
    );
    // Its clients keep the Deployment's pods: nothing on the waypoint would answer them.
    const apex = await core.readNamespacedService({ name: 'podinfo', namespace: env.namespace });
    expect(apex.metadata?.annotations?.['sluice.dev/routed-by']).toBeUndefined();
    const stuck = await env.readCanary();
    expect(stuck.status?.phase).toBe('Initializing');
    expect(stuck.status?.message).toBe('waiting for every waypoint proxy to route all traffic to the primary');

    const seconds = await deleteAndExpectHandedBack();
    process.stdout.write(`[canary-no-proxies] waypoint never had a proxy: Canary finalized ${seconds.toFixed(1)} s after its deletion\n`);
  });
});
