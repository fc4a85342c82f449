// The pod runner against the real control plane: kwok "runs" the pods, the runner runs their
// processes (the demo app, the waypoint's sluice-proxy), kwok marks a pod Ready only once its
// process listens, and a deleted pod stays Terminating until its process has stopped.
import { mkdtempSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { installCrds } from '../../../crds/install.js';
import type { MeshRoute } from '../../../crds/meshroute.js';
import { WAYPOINT_NAME, WAYPOINT_TOKEN_AUDIENCE } from '../../../operator/meshroute/waypoint.js';
import { freePort } from '../../harness/control-plane.js';
import { deleteNamespace, kubeConfig, newNamespace, waitFor } from '../../harness/index.js';
import type { ManagedProcess } from '../../harness/managed-process.js';
import { loopbackAddressOf } from '../../harness/pod-apps.js';
import { POD_PROCESS_ANNOTATION } from '../../harness/pod-process.js';
import { PodRunner } from '../../harness/pod-runner.js';
import { startOperatorProcess } from '../../harness/sluice-processes.js';

const config = kubeConfig();
const core = config.makeApiClient(k8s.CoreV1Api);
const apps = config.makeApiClient(k8s.AppsV1Api);
const custom = config.makeApiClient(k8s.CustomObjectsApi);

function demoDeployment(name: string, replicas: number, env: Record<string, string>): k8s.V1Deployment {
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'sluice.dev/demo-app:test',
              ports: [{ name: 'http', containerPort: 8080 }],
              env: Object.entries(env).map(([k, v]) => ({ name: k, value: v })),
            },
          ],
        },
      },
    },
  };
}

function get(host: string, port: number, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = httpGet({ host, port, path: '/', agent: false, headers, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.on('timeout', () => req.destroy());
  });
}

function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const ready = (pod: k8s.V1Pod): boolean => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Every pod of `selector` whose Ready condition turns True, checked the moment the watch reports it. */
function watchReadiness(namespace: string, selector: string): { stop: () => Promise<{ pod: string; listening: boolean }[]> } {
  const seen: { pod: string; listening: boolean }[] = [];
  const checks: Promise<void>[] = [];
  const reported = new Set<string>();
  let request: { abort: () => void } | undefined;
  void new k8s.Watch(config)
    .watch(
      `/api/v1/namespaces/${namespace}/pods`,
      { labelSelector: selector },
      (_phase: string, pod: k8s.V1Pod) => {
        const name = pod.metadata?.name ?? '';
        if (!ready(pod) || reported.has(name)) return;
        reported.add(name);
        checks.push(listening(loopbackAddressOf(pod.status?.podIP ?? ''), 8080).then((ok) => void seen.push({ pod: name, listening: ok })));
      },
      () => undefined,
    )
    .then((r) => (request = r));
  return {
    stop: async () => {
      request?.abort();
      await Promise.all(checks);
      return seen;
    },
  };
}

let dir: string;
let namespace: string;
let runner: PodRunner;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-pod-runner-'));
  namespace = await newNamespace('runner');
  runner = await PodRunner.start({ kubeConfig: config, namespace, dir });
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await runner.stop();
  await deleteNamespace(namespace);
  if (process.env.SLUICE_KEEP_TEST_DIRS) process.stdout.write(`[pod-runner] logs kept in ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
});

describe('pod runner', () => {
  it("runs the demo app for each pod with the pod's env, and the pod is Ready only once it listens", async () => {
    const watch = watchReadiness(namespace, 'app=web');
    await apps.createNamespacedDeployment({ namespace, body: demoDeployment('web', 3, { VERSION: 'v7', ERROR_RATE: '0' }) });
    await waitFor(
      'the web Deployment to be available with 3 ready pods',
      async () => (await apps.readNamespacedDeployment({ name: 'web', namespace })).status?.readyReplicas === 3,
      { timeoutMs: 60_000 },
    );
    const seen = await watch.stop();
    // The moment kwok reported each pod Ready, its process already accepted connections.
    expect(seen).toHaveLength(3);
    expect(seen.filter((s) => !s.listening)).toEqual([]);

    const pods = (await core.listNamespacedPod({ namespace, labelSelector: 'app=web' })).items;
    for (const pod of pods) {
      expect(pod.metadata?.annotations?.[POD_PROCESS_ANNOTATION]).toBe('listening');
      const address = loopbackAddressOf(pod.status?.podIP ?? '');
      const answer = await get(address, 8080);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ version: 'v7', address });
    }
    expect(runner.pods().filter((p) => p.name.startsWith('web-')).map((p) => ({ program: p.program, state: p.state }))).toEqual(
      Array.from({ length: 3 }, () => ({ program: 'demo-app', state: 'ready' })),
    );
  });

  it('keeps a pod whose process cannot start unready, well past kwok’s 2 s fallback', async () => {
    // ERROR_RATE must lie in 0..1: the demo app refuses to start, as a misconfigured container would.
    await apps.createNamespacedDeployment({ namespace, body: demoDeployment('broken', 1, { ERROR_RATE: '7' }) });
    await waitFor('the broken pod to be claimed', async () => runner.pods().some((p) => p.name.startsWith('broken-') && p.restarts >= 1), { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 4000));
    const pod = (await core.listNamespacedPod({ namespace, labelSelector: 'app=broken' })).items[0];
    expect(pod?.status?.phase).toBe('Running');
    expect(ready(pod as k8s.V1Pod)).toBe(false);
    expect(pod?.metadata?.annotations?.[POD_PROCESS_ANNOTATION]).toBe('starting');
    await apps.deleteNamespacedDeployment({ name: 'broken', namespace });
  });

  it('keeps a deleted pod Terminating while its process serves out the grace, then stops the process and frees the pod', async () => {
    const before = (await core.listNamespacedPod({ namespace, labelSelector: 'app=web' })).items;
    await apps.patchNamespacedDeploymentScale({ name: 'web', namespace, body: { spec: { replicas: 1 } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    let terminating: k8s.V1Pod[] = [];
    await waitFor(
      'two web pods to be Terminating',
      async () => {
        terminating = (await core.listNamespacedPod({ namespace, labelSelector: 'app=web' })).items.filter((p) => p.metadata?.deletionTimestamp);
        return terminating.length === 2;
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    const gone = terminating.map((p) => loopbackAddressOf(p.status?.podIP ?? ''));
    // Their processes still answer (a client already on its way is served), and their
    // addresses stay taken: kwok hands them to no other pod meanwhile.
    for (const address of gone) expect((await get(address, 8080)).status).toBe(200);
    const kept = before.map((p) => loopbackAddressOf(p.status?.podIP ?? '')).find((a) => !gone.includes(a)) ?? '';
    await waitFor(
      'the processes of the removed pods to stop and their pods to go',
      async () =>
        (await Promise.all(gone.map((a) => listening(a, 8080)))).every((open) => !open) &&
        (await core.listNamespacedPod({ namespace, labelSelector: 'app=web' })).items.length === 1,
      { timeoutMs: 15_000 },
    );
    expect(await listening(kept, 8080)).toBe(true);
    await waitFor('the runner to forget them', async () => runner.pods().filter((p) => p.name.startsWith('web-')).length === 1, { timeoutMs: 10_000 });
  });

  it('runs the waypoint pods the operator creates as sluice-proxy processes with a pod-bound token, connected to the operator', async () => {
    await installCrds(config);
    const configPort = await freePort();
    const operator: ManagedProcess = startOperatorProcess({
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
    await core.createNamespacedService({ namespace, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } } });
    await core.createNamespacedService({ namespace, body: { metadata: { name: 'front' }, spec: { selector: { app: 'front' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } } });
    const route: MeshRoute = {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'MeshRoute',
      metadata: { name: 'front', namespace },
      spec: { service: 'front', port: 80, rules: [{ name: 'all', backends: [{ service: 'web', port: 80, weight: 1 }] }] },
    };
    await custom.createNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace, plural: 'meshroutes', body: route });

    let status: MeshRoute['status'];
    await waitFor(
      'the MeshRoute to be Programmed on both waypoint proxies',
      async () => {
        status = ((await custom.getNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace, plural: 'meshroutes', name: 'front' })) as MeshRoute).status;
        return status?.conditions?.some((c) => c.type === 'Programmed' && c.status === 'True') === true && status.proxies?.applied === 2;
      },
      { timeoutMs: 60_000, describe: () => `${JSON.stringify(status)}\n${operator.running ? '' : operator.describeExit()}` },
    );
    // The proxies applied the route; the runner's probe of their /readyz follows within its poll.
    await waitFor('both waypoint proxies to be ready', async () => runner.pods().filter((p) => p.program === 'sluice-proxy' && p.state === 'ready').length === 2, { timeoutMs: 10_000 });
    const waypoints = runner.pods().filter((p) => p.program === 'sluice-proxy');
    expect(waypoints).toHaveLength(2);

    // The token the proxy presents is a TokenRequest token bound to its own pod, for the config server's audience.
    const pod = (await core.listNamespacedPod({ namespace, labelSelector: `app.kubernetes.io/name=${WAYPOINT_NAME}` })).items[0] as k8s.V1Pod;
    const { readFileSync } = await import('node:fs');
    const token = readFileSync(join(dir, namespace, pod.metadata?.name ?? '', 'volumes/token/token'), 'utf8');
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { aud: string[]; 'kubernetes.io': { pod: { name: string; uid: string }; serviceaccount: { name: string } } };
    expect(claims.aud).toEqual([WAYPOINT_TOKEN_AUDIENCE]);
    expect(claims['kubernetes.io'].pod).toEqual({ name: pod.metadata?.name, uid: pod.metadata?.uid });
    expect(claims['kubernetes.io'].serviceaccount.name).toBe(WAYPOINT_NAME);

    // Traffic through each waypoint pod's listener reaches the remaining web pod.
    const listenerPort = status?.listenerPort ?? 0;
    for (const waypoint of waypoints) {
      const answer = await get(waypoint.address, listenerPort);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ version: 'v7' });
    }
  });
});
