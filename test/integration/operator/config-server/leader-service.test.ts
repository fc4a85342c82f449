// Only the leader serves proxy config streams, and the chart's config Service selects the
// leader's pod only (sluice.dev/leader=true, set by the leader itself). Two real operator
// processes with leader election stand in for two kwok operator pods (each bound to its pod's
// address mapped onto loopback); the chart's own Service is applied; a kube-proxy-like
// forwarder sends each connection to a ready endpoint of that Service; a real proxy streams
// through it. The proxy reaches the leader at once, without a single 503 from the standby;
// after a graceful handover, and after the leader is killed (its label left behind), it ends
// up connected to the new leader, and only the new leader's pod is labelled.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { installCrds } from '../../../../crds/install.js';
import { freePort } from '../../../harness/control-plane.js';
import { deleteNamespace, FAKE_NODE_NAME, kubeConfig, newNamespace, waitFor } from '../../../harness/index.js';
import type { ManagedProcess } from '../../../harness/managed-process.js';
import { loopbackAddressOf } from '../../../harness/pod-apps.js';
import { startOperatorProcess, startProxyProcess } from '../../../harness/sluice-processes.js';
import { find, Helm } from '../../chart/support.js';
import { ServiceForwarder } from './service-forwarder.js';

const config = kubeConfig();
const core = config.makeApiClient(k8s.CoreV1Api);
const discovery = config.makeApiClient(k8s.DiscoveryV1Api);
const coordination = config.makeApiClient(k8s.CoordinationV1Api);
const custom = config.makeApiClient(k8s.CustomObjectsApi);
const dir = mkdtempSync(join(tmpdir(), 'sluice-leader-service-'));
const helm = new Helm();
const OPERATOR = 'sluice-operator';
const LEADER = 'sluice.dev/leader=true';
const cleanups: (() => Promise<void> | void)[] = [];
const figures: Record<string, number> = {};

let namespace = '';
let configPort = 0;

interface OperatorPod {
  pod: string;
  address: string;
  adminPort: number;
  process?: ManagedProcess;
}
const pods: Record<'a' | 'b', OperatorPod> = { a: { pod: `${OPERATOR}-a`, address: '', adminPort: 0 }, b: { pod: `${OPERATOR}-b`, address: '', adminPort: 0 } };

function startOperator(which: 'a' | 'b', run: number): ManagedProcess {
  const pod = pods[which];
  const proc = startOperatorProcess({
    name: `operator-${which}-${run}`,
    namespace,
    configPort,
    dir,
    extraArgs: [
      // The chart's flags for leadership and the label; short timings keep the test quick.
      '--leader-elect',
      `--leader-election-id=${OPERATOR}`,
      `--leader-election-namespace=${namespace}`,
      '--lease-duration=3s',
      '--renew-deadline=2s',
      '--retry-period=500ms',
      '--leader-pod-label',
      `--identity=${pod.pod}`,
      `--pod-name=${pod.pod}`,
      `--pod-namespace=${namespace}`,
      `--config-host=${pod.address}`,
      `--admin-port=${pod.adminPort}`,
    ],
  });
  pod.process = proc;
  cleanups.push(() => proc.stop());
  return proc;
}

function metrics(pod: OperatorPod): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: pod.adminPort, path: '/metrics', agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

function sample(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

async function proxiesConnected(pod: OperatorPod): Promise<number> {
  return sample(await metrics(pod), 'sluice_config_proxies_connected', `namespace="${namespace}"`);
}

async function refusedAsStandby(pod: OperatorPod): Promise<number> {
  return sample(await metrics(pod), 'sluice_config_rejected_streams_total', 'status="503"');
}

async function labelled(): Promise<string[]> {
  return (await core.listNamespacedPod({ namespace, labelSelector: LEADER })).items.map((p) => p.metadata?.name ?? '').sort();
}

async function serviceEndpoints(): Promise<string[]> {
  const slices = await discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${OPERATOR}` });
  return slices.items.flatMap((s) => s.endpoints.filter((e) => e.conditions?.ready !== false).map((e) => e.targetRef?.name ?? '')).sort();
}

async function holder(): Promise<string | undefined> {
  try {
    return (await coordination.readNamespacedLease({ name: OPERATOR, namespace })).spec?.holderIdentity ?? undefined;
  } catch {
    return undefined;
  }
}

/** Waits until `pod` leads, is the only labelled pod and the Service's only endpoint. */
async function servedBy(pod: OperatorPod): Promise<void> {
  await waitFor(
    `${pod.pod} to lead and be the config Service's only endpoint`,
    async () => (await holder()) === pod.pod && JSON.stringify(await labelled()) === JSON.stringify([pod.pod]) && JSON.stringify(await serviceEndpoints()) === JSON.stringify([pod.pod]),
    { timeoutMs: 30_000, intervalMs: 50, describe: () => `${pods.a.process?.tail(10) ?? ''}\n${pods.b.process?.tail(10) ?? ''}` },
  );
}

beforeAll(async () => {
  await installCrds(config);
  namespace = await newNamespace('leader-svc');
  // Something to stream: a route the operator cannot accept (no such Service) still gives
  // the namespace a snapshot, with no listener for the proxy to bind.
  await custom.createNamespacedCustomObject({
    group: 'sluice.dev',
    version: 'v1alpha1',
    namespace,
    plural: 'meshroutes',
    body: {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'MeshRoute',
      metadata: { name: 'idle' },
      spec: { service: 'missing', port: 80, rules: [{ name: 'all', backends: [{ service: 'missing', port: 80, weight: 100 }] }] },
    },
  });
  configPort = await freePort();
  // The chart's config Service, as `helm template` renders it into this namespace.
  const rendered = await helm.template('sluice', namespace, ['--show-only', 'templates/service.yaml']);
  const service = find(rendered, 'Service', OPERATOR) as unknown as k8s.V1Service;
  await core.createNamespacedService({ namespace, body: service });
  const labels = { 'app.kubernetes.io/name': 'sluice', 'app.kubernetes.io/instance': 'sluice', 'app.kubernetes.io/component': 'operator' };
  for (const which of ['a', 'b'] as const) {
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: pods[which].pod, labels },
        spec: {
          nodeName: FAKE_NODE_NAME,
          containers: [
            {
              name: 'operator',
              image: 'ghcr.io/sluice-dev/sluice:test',
              ports: [
                { name: 'admin', containerPort: 8080 },
                { name: 'config', containerPort: configPort },
              ],
            },
          ],
        },
      },
    });
    pods[which].adminPort = await freePort();
  }
  await waitFor(
    'both operator pods to run with an address',
    async () => {
      for (const which of ['a', 'b'] as const) {
        const pod = await core.readNamespacedPod({ name: pods[which].pod, namespace });
        if (pod.status?.phase !== 'Running' || !pod.status.podIP) return false;
        pods[which].address = loopbackAddressOf(pod.status.podIP);
      }
      return true;
    },
    { timeoutMs: 30_000 },
  );
}, 60_000);

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  helm.remove();
  await deleteNamespace(namespace);
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`[leader-service] ${JSON.stringify(figures)}\n`);
});

describe('the config Service selects the leader', () => {
  it('sends a proxy to the leader only, and to the new leader after a handover and after a crash', async () => {
    const forwarder = new ServiceForwarder(discovery, namespace, OPERATOR, 'config');
    const forwarderPort = await forwarder.listen();
    cleanups.push(() => forwarder.close());

    startOperator('a', 1);
    startOperator('b', 1);
    await waitFor('a leader', async () => (await holder()) !== undefined && (await holder()) !== '', { timeoutMs: 30_000 });
    const first = (await holder()) === pods.a.pod ? pods.a : pods.b;
    const second = first === pods.a ? pods.b : pods.a;
    const secondKey = second === pods.a ? 'a' : 'b';
    await servedBy(first);

    // Fresh connections, as proxies starting up: every one reaches the leader directly. With a
    // Service over both pods, each would have had even odds of a 503 from the standby.
    for (let i = 0; i < 5; i++) {
      const { proxy } = await startProxyProcess({ namespace, configPort: forwarderPort, bindAddress: '127.0.0.1', dir, proxyId: `probe-${i}` });
      await waitFor(`probe ${i} to connect`, async () => readFileSync(join(dir, `proxy-probe-${i}.log`), 'utf8').includes('connected to the control plane'), { timeoutMs: 20_000, intervalMs: 50 });
      await proxy.stop();
    }
    expect(forwarder.connections.map((c) => c.pod)).toEqual(Array(5).fill(first.pod));
    expect(await refusedAsStandby(second)).toBe(0);

    const { proxy } = await startProxyProcess({ namespace, configPort: forwarderPort, bindAddress: '127.0.0.1', dir, proxyId: 'waypoint-0' });
    cleanups.push(() => proxy.stop());
    await waitFor('the proxy to stream from the leader', async () => (await proxiesConnected(first)) === 1, { timeoutMs: 20_000, intervalMs: 50 });
    await waitFor('the proxy to apply the snapshot', async () => readFileSync(join(dir, 'proxy-waypoint-0.log'), 'utf8').includes('applied snapshot'), { timeoutMs: 20_000, intervalMs: 50 });
    expect(await proxiesConnected(second)).toBe(0);

    // Graceful handover: the leader takes its label off, then gives the lease up.
    const handoverAt = Date.now();
    const sentBefore = forwarder.connections.length;
    await first.process?.stop();
    await servedBy(second);
    await waitFor('the proxy to stream from the new leader', async () => (await proxiesConnected(second)) === 1, { timeoutMs: 30_000, intervalMs: 50 });
    figures.handoverToReconnectedMs = Date.now() - handoverAt;
    figures.handoverConnections = forwarder.connections.length - sentBefore;
    expect(await refusedAsStandby(second)).toBe(0);

    // The old leader comes back as a standby: it does not label itself and is never reached.
    startOperator(first === pods.a ? 'a' : 'b', 2);
    await waitFor('the restarted operator to stand by with synced caches', async () => (await metrics(first)).includes('sluice_config_rejected_streams_total'), {
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await labelled()).toEqual([second.pod]);
    expect(await refusedAsStandby(first)).toBe(0);

    // Crash: the leader dies without a word; its label stays until the next leader (after the
    // lease expires) takes it off.
    const crashAt = Date.now();
    const crashed = pods[secondKey].process;
    await crashed?.kill();
    expect(await labelled()).toEqual([second.pod]);
    await servedBy(first);
    figures.crashToNewLeaderLabelledMs = Date.now() - crashAt;
    await waitFor('the proxy to stream from the leader after the crash', async () => (await proxiesConnected(first)) === 1, { timeoutMs: 30_000, intervalMs: 50 });
    figures.crashToReconnectedMs = Date.now() - crashAt;
    expect(await refusedAsStandby(first)).toBe(0);
    figures.refusalsSeenByProxy = readFileSync(join(dir, 'proxy-waypoint-0.log'), 'utf8').split('\n').filter((l) => l.includes('refused the stream')).length;
    figures.forwardedConnections = forwarder.connections.length;
    figures.connectionsWithoutEndpoint = forwarder.connections.filter((c) => c.pod === undefined).length;

    // For comparison, what the leader label saves: fresh proxies through a Service over both
    // pods (the chart's selector without the label) against through the chart's Service.
    startOperator(secondKey, 2);
    await waitFor('the crashed operator to be back as a standby', async () => (await metrics(second)).includes('sluice_config_rejected_streams_total'), {
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    const everyPod = await core.readNamespacedService({ name: OPERATOR, namespace });
    const selector = { ...everyPod.spec?.selector };
    delete selector['sluice.dev/leader'];
    await core.createNamespacedService({ namespace, body: { metadata: { name: `${OPERATOR}-all` }, spec: { selector, ports: everyPod.spec?.ports } } });
    await waitFor('both pods behind the comparison Service', async () => {
      const slices = await discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${OPERATOR}-all` });
      return slices.items.flatMap((sl) => sl.endpoints).length === 2;
    }, { timeoutMs: 20_000 });
    const allPods = new ServiceForwarder(discovery, namespace, `${OPERATOR}-all`, 'config');
    const allPodsPort = await allPods.listen();
    cleanups.push(() => allPods.close());
    const probe = async (port: number, id: string): Promise<number> => {
      const started = Date.now();
      const { proxy: p } = await startProxyProcess({ namespace, configPort: port, bindAddress: '127.0.0.1', dir, proxyId: id });
      await waitFor(`${id} to connect`, async () => readFileSync(join(dir, `proxy-${id}.log`), 'utf8').includes('connected to the control plane'), { timeoutMs: 30_000, intervalMs: 20 });
      await p.stop();
      return Date.now() - started;
    };
    const standbyBefore = await refusedAsStandby(second);
    const viaLeader: number[] = [];
    const viaAll: number[] = [];
    for (let i = 0; i < 8; i++) {
      viaLeader.push(await probe(forwarderPort, `leader-only-${i}`));
      viaAll.push(await probe(allPodsPort, `all-pods-${i}`));
    }
    const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
    figures.allPodsServiceStandby503s = (await refusedAsStandby(second)) - standbyBefore;
    figures.leaderServiceConnectMedianMs = median(viaLeader);
    figures.leaderServiceConnectMaxMs = Math.max(...viaLeader);
    figures.allPodsServiceConnectMedianMs = median(viaAll);
    figures.allPodsServiceConnectMaxMs = Math.max(...viaAll);
    // Through the chart's Service not one of them met the standby.
    const leaderOnly = viaLeader.map((_, i) => readFileSync(join(dir, `proxy-leader-only-${i}.log`), 'utf8'));
    figures.leaderServiceProbesRefused = leaderOnly.filter((log) => log.includes('refused the stream')).length;
    expect(figures.leaderServiceProbesRefused).toBe(0);
  }, 180_000);
});
