// Taking over a Service that is already serving, under load, on real components: the
// operator runs its waypoint Deployment, the harness's pod runner runs each waypoint pod as a
// real sluice-proxy (Ready only once its /readyz passes) and each app pod as the demo app,
// and the clients send every request where kube-proxy would: to a ready endpoint of the
// Service's EndpointSlices, followed with a watch (the playground's load generator). The
// Service is pointed at the waypoint only once every ready waypoint proxy serves the
// route's listener, so no request fails across the hand-over, nor when the waypoint grows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { pino } from 'pino';
import { installCrds } from '../../../../crds/install.js';
import type { MeshRoute } from '../../../../crds/meshroute.js';
import { MeshRouteResource } from '../../../../operator/meshroute/meshroute-controller.js';
import { WAYPOINT_NAME, WAYPOINT_SELECTOR, WAYPOINT_TOKEN_AUDIENCE } from '../../../../operator/meshroute/waypoint.js';
import { Informer } from '../../../../operator/runtime/informer.js';
import { countersSince, failedRequests, type LoadCounters } from '../../../../playground/load-counters.js';
import { LoadGenerator } from '../../../../playground/load-generator.js';
import { freePort } from '../../../harness/control-plane.js';
import { deleteNamespace, kubeConfig, newNamespace, waitFor } from '../../../harness/index.js';
import type { ManagedProcess } from '../../../harness/managed-process.js';
import { PodRunner } from '../../../harness/pod-runner.js';
import { startOperatorProcess } from '../../../harness/sluice-processes.js';

const config = kubeConfig();
const core = config.makeApiClient(k8s.CoreV1Api);
const apps = config.makeApiClient(k8s.AppsV1Api);
const custom = config.makeApiClient(k8s.CustomObjectsApi);
const dir = mkdtempSync(join(tmpdir(), 'sluice-takeover-'));
const log = pino({ level: 'info' }, pino.destination({ dest: join(dir, 'test.log'), sync: true }));
const RATE = 100;
const cleanups: (() => Promise<void> | void)[] = [];

let namespace = '';
let runner: PodRunner;
let operator: ManagedProcess;
let load: LoadGenerator;

function webDeployment(): k8s.V1Deployment {
  return {
    metadata: { name: 'web' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'sluice.dev/demo-app:v1',
              ports: [{ name: 'http', containerPort: 8080 }],
              env: [
                { name: 'VERSION', value: 'v1' },
                { name: 'ERROR_RATE', value: '0' },
              ],
            },
          ],
        },
      },
    },
  };
}

function service(name: string): k8s.V1Service {
  return { metadata: { name }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } };
}

const describeCounters = (c: LoadCounters): string => JSON.stringify(c);

/** Ready waypoint pods' loopback addresses, as the runner runs them. */
function waypointAddresses(): string[] {
  return runner
    .pods()
    .filter((p) => p.program === 'sluice-proxy' && p.state === 'ready')
    .map((p) => p.address)
    .sort();
}

beforeAll(async () => {
  await installCrds(config);
  namespace = await newNamespace('takeover');
  runner = await PodRunner.start({ kubeConfig: config, namespace, dir: join(dir, 'pods') });
  cleanups.push(() => runner.stop());
  const configPort = await freePort();
  operator = startOperatorProcess({
    namespace,
    configPort,
    dir,
    extraArgs: [
      '--waypoint-image=sluice.dev/proxy:test',
      '--waypoint-replicas=2',
      `--waypoint-config-server-url=http://127.0.0.1:${configPort}`,
      `--token-audience=${WAYPOINT_TOKEN_AUDIENCE}`,
    ],
  });
  cleanups.push(() => operator.stop());
  await apps.createNamespacedDeployment({ namespace, body: webDeployment() });
  await core.createNamespacedService({ namespace, body: service('web') });
  await core.createNamespacedService({ namespace, body: service('web-pods') });
  await waitFor('the web Deployment to have 2 ready pods', async () => (await apps.readNamespacedDeployment({ name: 'web', namespace })).status?.readyReplicas === 2, {
    timeoutMs: 60_000,
  });
  load = new LoadGenerator({ kubeConfig: config, namespace, service: 'web', portName: 'http', requestsPerSecond: RATE, log });
  await load.start();
  cleanups.push(() => load.stop());
}, 120_000);

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await deleteNamespace(namespace);
  log.flush();
  if (process.env.SLUICE_KEEP_TEST_DIRS) process.stdout.write(`[takeover] logs kept in ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
});

describe('taking over a serving Service', () => {
  let listenerPort = 0;

  it('points the Service at the waypoint only once its ready proxies serve the route: no failed request', async () => {
    await waitFor('clients answered by the two web pods', async () => load.endpoints().length === 2 && (load.counters().ok['v1'] ?? 0) > 100, { timeoutMs: 30_000 });
    const before = load.counters();

    // Every status the route goes through, as a watch delivers it.
    const statuses: { at: number; programmed?: { status: string; reason?: string; message?: string } }[] = [];
    const routes = new Informer(config, { resource: MeshRouteResource, namespace, log, resyncPeriodMs: 0 });
    const record = (obj: k8s.KubernetesObject): void => {
      const route = obj as unknown as MeshRoute;
      const programmed = route.status?.conditions?.find((c) => c.type === 'Programmed');
      statuses.push({ at: Date.now(), ...(programmed ? { programmed } : {}) });
    };
    routes.addHandler({ onAdd: record, onUpdate: (_old, route) => record(route) });
    routes.start();
    cleanups.push(() => routes.stop());

    const createdAt = Date.now();
    const route: MeshRoute = {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'MeshRoute',
      metadata: { name: 'web', namespace },
      spec: { service: 'web', port: 80, rules: [{ name: 'all', backends: [{ service: 'web-pods', port: 80, weight: 100 }] }] },
    };
    await custom.createNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace, plural: 'meshroutes', body: route });

    // Until the clients follow the Service to the waypoint's listener...
    let takenOverAt = 0;
    await waitFor(
      'the clients to send to the waypoint proxies',
      async () => {
        const status = ((await custom.getNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace, plural: 'meshroutes', name: 'web' })) as MeshRoute).status;
        listenerPort = status?.listenerPort ?? 0;
        const endpoints = load.endpoints();
        const done = listenerPort > 0 && endpoints.length > 0 && endpoints.every((e) => e.port === listenerPort);
        if (done) takenOverAt = Date.now();
        return done;
      },
      { timeoutMs: 60_000, intervalMs: 20, describe: () => `${JSON.stringify(load.endpoints())} ${operator.tail(10)}` },
    );
    // ...and then some more through them.
    const atTakeover = load.counters();
    await waitFor('200 answers through the waypoint', async () => load.counters().sent - atTakeover.sent >= 200, { timeoutMs: 30_000 });
    const during = countersSince(load.counters(), before);
    await routes.stop();

    const apex = await core.readNamespacedService({ name: 'web', namespace });
    expect(apex.spec?.selector).toEqual(WAYPOINT_SELECTOR);
    expect(apex.spec?.ports?.[0]?.targetPort).toBe(listenerPort);
    expect(load.endpoints().map((e) => e.address).sort()).toEqual(waypointAddresses());
    process.stdout.write(
      `[takeover] route created → clients on the waypoint: ${takenOverAt - createdAt} ms; ${during.sent} requests across the takeover, ${failedRequests(during)} failed: ${describeCounters(during)}\n`,
    );
    expect(during.unanswered).toEqual({});
    expect(failedRequests(during)).toBe(0);
    expect(during.ok['v1']).toBeGreaterThan(200);

    // While it waited, the route said why.
    const waiting = statuses.filter((s) => s.at < takenOverAt && s.programmed?.status === 'False');
    expect(waiting.map((s) => s.programmed?.message)).toContainEqual(expect.stringContaining('before taking over Service web'));
    let now: MeshRoute['status'];
    await waitFor(
      'the route to be Programmed on both waypoint proxies',
      async () => {
        now = ((await custom.getNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace, plural: 'meshroutes', name: 'web' })) as MeshRoute).status;
        return now?.conditions?.some((c) => c.type === 'Programmed' && c.status === 'True') === true && now.proxies?.applied === 2;
      },
      { timeoutMs: 15_000, describe: () => JSON.stringify(now) },
    );
  });

  it('sends clients to a waypoint pod added later only once it serves the route', async () => {
    const before = load.counters();
    await apps.patchNamespacedDeploymentScale(
      { name: WAYPOINT_NAME, namespace, body: { spec: { replicas: 3 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await waitFor('the clients to send to three waypoint proxies', async () => load.endpoints().filter((e) => e.port === listenerPort).length === 3, {
      timeoutMs: 60_000,
      intervalMs: 20,
      describe: () => JSON.stringify(load.endpoints()),
    });
    const atThree = load.counters();
    await waitFor('300 more answers', async () => load.counters().sent - atThree.sent >= 300, { timeoutMs: 30_000 });
    const during = countersSince(load.counters(), before);
    process.stdout.write(`[takeover] waypoint scaled 2 → 3 under load: ${during.sent} requests, ${failedRequests(during)} failed: ${describeCounters(during)}\n`);
    expect(load.endpoints().map((e) => e.address).sort()).toEqual(waypointAddresses());
    expect(during.unanswered).toEqual({});
    expect(failedRequests(during)).toBe(0);
  });
});
