// The control plane end to end: a real sluice-operator process (MeshRoute controller + config
// server) against the real API server, a real sluice-proxy process that authenticates with a
// real ServiceAccount token, and real backend processes on the loopback addresses of
// kwok-simulated pods. Nothing here is mocked.
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { installCrds } from '../../../../crds/install.js';
import type { MeshRoute } from '../../../../crds/meshroute.js';
import { WAYPOINT_SELECTOR } from '../../../../operator/meshroute/waypoint.js';
import { freePort } from '../../../harness/control-plane.js';
import { deleteNamespace, kubeConfig, newNamespace, waitFor } from '../../../harness/index.js';
import { ManagedProcess } from '../../../harness/managed-process.js';
import { PodApps } from '../../../harness/pod-apps.js';
import { startOperatorProcess, startProxyProcess } from '../../../harness/sluice-processes.js';

const config = kubeConfig();
const core = config.makeApiClient(k8s.CoreV1Api);
const apps = config.makeApiClient(k8s.AppsV1Api);
const custom = config.makeApiClient(k8s.CustomObjectsApi);
const dir = mkdtempSync(join(tmpdir(), 'sluice-meshroute-'));
const PROXY_ADDRESS = '127.18.255.1';
const cleanups: (() => Promise<void> | void)[] = [];

let namespace: string;
let configPort: number;
let operator: ManagedProcess | undefined;
const backends: Record<string, PodApps> = {};

function startOperator(name: string): ManagedProcess {
  const proc = startOperatorProcess({ name, namespace, configPort, dir });
  cleanups.push(() => proc.stop());
  return proc;
}

function deployment(name: string, replicas: number): k8s.V1Deployment {
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'sluice.dev/demo-app:test', ports: [{ name: 'http', containerPort: 8080 }] }] },
      },
    },
  };
}

function service(name: string, selector: Record<string, string>): k8s.V1Service {
  return { metadata: { name }, spec: { selector, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } };
}

function meshRoute(name: string, apex: string, weights: Record<string, number>): MeshRoute {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'MeshRoute',
    metadata: { name, namespace },
    spec: {
      service: apex,
      port: 80,
      rules: [
        {
          name: 'split',
          backends: Object.entries(weights).map(([svc, weight]) => ({ service: svc, port: 80, weight })),
          // kwok marks a pod Ready the moment it is scheduled, before the test has started its
          // process; a real readiness probe would not. Retrying a refused connection on another
          // endpoint covers that window, as it would a pod dying between probes.
          retries: { attempts: 5, retryOn: 'connect-failure,reset,gateway-error' },
        },
      ],
    },
  };
}

async function readRoute(name: string): Promise<MeshRoute> {
  return (await custom.getNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace, plural: 'meshroutes', name })) as MeshRoute;
}

async function programmed(name: string, previousVersion?: string): Promise<MeshRoute> {
  let route: MeshRoute | undefined;
  await waitFor(
    `MeshRoute ${name} to be Programmed${previousVersion ? ` past version ${previousVersion}` : ''}`,
    async () => {
      route = await readRoute(name);
      const condition = route.status?.conditions?.find((c) => c.type === 'Programmed');
      return condition?.status === 'True' && route.status?.proxies?.version !== previousVersion && route.status?.observedGeneration === route.metadata.generation;
    },
    { timeoutMs: 30_000, intervalMs: 100, describe: () => JSON.stringify(route?.status) },
  );
  return route as MeshRoute;
}

const agent = new Agent({ keepAlive: true, maxSockets: 16 });
cleanups.push(() => agent.destroy());

function get(port: number): Promise<{ status: number; version?: string; address?: string }> {
  return new Promise((resolve) => {
    const req = request({ host: PROXY_ADDRESS, port, path: '/', agent }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        try {
          const parsed = JSON.parse(body) as { version?: string; address?: string };
          resolve({ status: res.statusCode ?? 0, ...parsed });
        } catch {
          resolve({ status: res.statusCode ?? 0 });
        }
      });
    });
    req.on('error', () => resolve({ status: 0 }));
    req.end();
  });
}

/** Sends `count` requests, 16 at a time; returns the share per version and the failures. */
async function traffic(port: number, count: number): Promise<{ share: Record<string, number>; failed: number; addresses: Set<string> }> {
  const counts: Record<string, number> = {};
  const addresses = new Set<string>();
  let failed = 0;
  let sent = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (sent < count) {
        sent++;
        const res = await get(port);
        if (res.status !== 200 || !res.version) failed++;
        else counts[res.version] = (counts[res.version] ?? 0) + 1;
        if (res.address) addresses.add(res.address);
      }
    }),
  );
  const share = Object.fromEntries(Object.entries(counts).map(([v, n]) => [v, (100 * n) / count]));
  return { share, failed, addresses };
}

/** Keeps requests flowing until stopped; counts failures. */
function continuousLoad(port: number): { stop: () => Promise<{ sent: number; failed: number; failures: string[] }> } {
  let running = true;
  let sent = 0;
  let failed = 0;
  const failures: string[] = [];
  const workers = Array.from({ length: 4 }, async () => {
    // Bounded: stops when told, or after 5 minutes whatever happens.
    const deadline = Date.now() + 300_000;
    while (running && Date.now() < deadline) {
      const res = await get(port);
      sent++;
      if (res.status !== 200) {
        failed++;
        failures.push(`${new Date().toISOString()} status ${res.status}`);
      }
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(workers);
      return { sent, failed, failures };
    },
  };
}

beforeAll(async () => {
  await installCrds(config);
  namespace = await newNamespace('mr');
  configPort = await freePort();
  for (const [name, replicas] of [
    ['backend-a', 2],
    ['backend-b', 1],
  ] as const) {
    await apps.createNamespacedDeployment({ namespace, body: deployment(name, replicas) });
    await core.createNamespacedService({ namespace, body: service(name, { app: name }) });
    backends[name] = new PodApps(core, namespace, `app=${name}`, { port: 8080, version: name, errorRate: 0, latencyMs: 0, latencyJitterMs: 0 });
  }
  await core.createNamespacedService({ namespace, body: service('web', { app: 'web' }) });
  for (const [name, expected] of [
    ['backend-a', 2],
    ['backend-b', 1],
  ] as const) {
    await waitFor(`${expected} running pods of ${name}`, async () => (await backends[name]!.sync()).length === expected, { timeoutMs: 60_000 });
  }

  operator = startOperator('operator-1');
  const { proxy } = await startProxyProcess({ namespace, configPort, bindAddress: PROXY_ADDRESS, dir });
  cleanups.push(() => proxy.stop());
}, 120_000);

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const pods of Object.values(backends)) await pods.stop();
  await deleteNamespace(namespace);
  rmSync(dir, { recursive: true, force: true });
});

describe('MeshRoute controller with real proxies', () => {
  let listenerPort: number;

  it('splits traffic as the route says, takes over the apex Service and reports the applied version', async () => {
    await custom.createNamespacedCustomObject({
      group: 'sluice.dev',
      version: 'v1alpha1',
      namespace,
      plural: 'meshroutes',
      body: meshRoute('web', 'web', { 'backend-a': 90, 'backend-b': 10 }),
    });
    const route = await programmed('web');
    listenerPort = route.status?.listenerPort ?? 0;
    expect(listenerPort).toBeGreaterThanOrEqual(15100);
    expect(route.status?.proxies).toEqual({ desired: 1, connected: 1, applied: 1, version: expect.any(String) });
    expect(route.status?.conditions?.find((c) => c.type === 'Accepted')).toMatchObject({ status: 'True', reason: 'Accepted' });

    const apex = await core.readNamespacedService({ name: 'web', namespace });
    expect(apex.spec?.selector).toEqual(WAYPOINT_SELECTOR);
    expect(apex.spec?.ports?.[0]?.targetPort).toBe(listenerPort);

    const { share, failed, addresses } = await traffic(listenerPort, 3000);
    expect(failed).toBe(0);
    expect(share['backend-a']).toBeGreaterThan(87);
    expect(share['backend-a']).toBeLessThan(93);
    // Both backend-a pods get traffic: the proxy balances over endpoints itself.
    expect(backends['backend-a']!.addresses.every((a) => addresses.has(a))).toBe(true);
  });

  it('follows a weight change', async () => {
    const before = (await readRoute('web')).status?.proxies?.version;
    await custom.patchNamespacedCustomObject(
      {
        group: 'sluice.dev',
        version: 'v1alpha1',
        namespace,
        plural: 'meshroutes',
        name: 'web',
        body: { spec: meshRoute('web', 'web', { 'backend-a': 50, 'backend-b': 50 }).spec },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await programmed('web', before);
    const { share, failed } = await traffic(listenerPort, 3000);
    expect(failed).toBe(0);
    expect(share['backend-b']).toBeGreaterThan(46);
    expect(share['backend-b']).toBeLessThan(54);
  });

  it('follows endpoint changes without failing a request', async () => {
    // A new pod appears... (kwok reports it Ready before the harness has started its
    // process, which no readiness probe would; so the zero-failure load below starts once
    // the process runs, and covers the pod going unready.)
    await apps.patchNamespacedDeploymentScale(
      { name: 'backend-b', namespace, body: { spec: { replicas: 2 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await waitFor('the second backend-b pod', async () => (await backends['backend-b']!.sync()).length === 2, { timeoutMs: 30_000 });
    const fresh = backends['backend-b']!.addresses;
    await waitFor(
      'traffic to every backend-b pod',
      async () => {
        const { addresses } = await traffic(listenerPort, 200);
        return fresh.every((a) => addresses.has(a));
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    const load = continuousLoad(listenerPort);
    // ...and one goes unready: no more traffic to it, and no failures meanwhile.
    const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=backend-a' });
    const victim = pods.items[0]!;
    const victimAddress = (await import('../../../harness/pod-apps.js')).loopbackAddressOf(victim.status?.podIP ?? '');
    const conditions = (victim.status?.conditions ?? []).map((c) => (c.type === 'Ready' || c.type === 'ContainersReady' ? { ...c, status: 'False' } : c));
    await core.patchNamespacedPodStatus(
      { name: victim.metadata?.name ?? '', namespace, body: { status: { conditions } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    await waitFor(
      'no traffic to the unready pod',
      async () => {
        const { addresses } = await traffic(listenerPort, 200);
        return !addresses.has(victimAddress);
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    const result = await load.stop();
    expect(result.sent).toBeGreaterThan(100);
    expect(result.failures).toEqual([]);
  });

  it('rejects a route naming a missing Service with a condition and an Event, and keeps the others working', async () => {
    await core.createNamespacedService({ namespace, body: service('other', { app: 'other' }) });
    await custom.createNamespacedCustomObject({
      group: 'sluice.dev',
      version: 'v1alpha1',
      namespace,
      plural: 'meshroutes',
      body: meshRoute('broken', 'other', { 'no-such-service': 1 }),
    });
    let broken: MeshRoute | undefined;
    await waitFor(
      'MeshRoute broken to be rejected',
      async () => {
        broken = await readRoute('broken');
        return broken.status?.conditions?.find((c) => c.type === 'Accepted')?.status === 'False';
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(broken?.status?.conditions?.find((c) => c.type === 'Accepted')).toMatchObject({
      reason: 'ServiceNotFound',
      message: 'spec.rules[0].backends[0]: Service no-such-service not found',
    });
    await waitFor(
      'a ServiceNotFound Event',
      async () => {
        const events = await core.listNamespacedEvent({ namespace, fieldSelector: 'involvedObject.name=broken' });
        return events.items.some((e) => e.reason === 'ServiceNotFound' && e.type === 'Warning');
      },
      { timeoutMs: 15_000 },
    );
    // The apex of the broken route stays the user's.
    expect((await core.readNamespacedService({ name: 'other', namespace })).spec?.selector).toEqual({ app: 'other' });
    const { failed } = await traffic(listenerPort, 300);
    expect(failed).toBe(0);
  });

  it('keeps routing while the operator is dead, and a new operator carries on', async () => {
    const load = continuousLoad(listenerPort);
    await operator?.kill();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    operator = startOperator('operator-2');
    const before = (await readRoute('web')).status?.proxies?.version;
    await custom.patchNamespacedCustomObject(
      {
        group: 'sluice.dev',
        version: 'v1alpha1',
        namespace,
        plural: 'meshroutes',
        name: 'web',
        body: { spec: meshRoute('web', 'web', { 'backend-a': 0, 'backend-b': 100 }).spec },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await programmed('web', before);
    const result = await load.stop();
    expect(result.failed).toBe(0);
    const { share } = await traffic(listenerPort, 500);
    expect(share['backend-b']).toBe(100);
  });

  it('gives the apex Service back when its route is deleted', async () => {
    await custom.deleteNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace, plural: 'meshroutes', name: 'web' });
    await waitFor(
      'the apex Service to select its own pods again',
      async () => {
        const apex = await core.readNamespacedService({ name: 'web', namespace });
        return JSON.stringify(apex.spec?.selector) === JSON.stringify({ app: 'web' }) && apex.spec?.ports?.[0]?.targetPort === 'http';
      },
      { timeoutMs: 30_000 },
    );
    await waitFor(
      'the MeshRoute to be gone',
      async () => {
        try {
          await readRoute('web');
          return false;
        } catch {
          return true;
        }
      },
      { timeoutMs: 30_000 },
    );
  });
});
