// Progressive delivery end to end on real components: a real sluice-operator process (canary +
// MeshRoute controllers, config server), a real sluice-proxy process with a TokenRequest
// token, and the demo app running for every kwok pod of the target and the primary (its
// version and error rate come from the pod's env). A client keeps calling the apex through
// the waypoint the whole time.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { Canary } from '../../../../crds/canary.js';
import { installCrds } from '../../../../crds/install.js';
import type { MeshRoute } from '../../../../crds/meshroute.js';
import { freePort } from '../../../harness/control-plane.js';
import { deleteNamespace, kubeConfig, kubeconfigPath, newNamespace, POD_ADDRESS_MAPPING, repoRoot, waitFor } from '../../../harness/index.js';
import { ManagedProcess } from '../../../harness/managed-process.js';
import { PodApps } from '../../../harness/pod-apps.js';

const config = kubeConfig();
const core = config.makeApiClient(k8s.CoreV1Api);
const apps = config.makeApiClient(k8s.AppsV1Api);
const custom = config.makeApiClient(k8s.CustomObjectsApi);
const dir = mkdtempSync(join(tmpdir(), 'sluice-canary-'));
const PROXY_ADDRESS = '127.18.255.2';
const cleanups: (() => Promise<void> | void)[] = [];
const agent = new Agent({ keepAlive: true, maxSockets: 8 });
cleanups.push(() => agent.destroy());

let namespace: string;
let podApps: PodApps[] = [];
let syncing = true;

function target(version: string, errorRate: number): k8s.V1Deployment {
  return {
    metadata: { name: 'podinfo' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'podinfo' } },
      template: {
        metadata: { labels: { app: 'podinfo' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: `sluice.dev/demo-app:${version}`,
              ports: [{ name: 'http', containerPort: 8080 }],
              env: [
                { name: 'VERSION', value: version },
                { name: 'ERROR_RATE', value: String(errorRate) },
              ],
            },
          ],
        },
      },
    },
  };
}

const canary: Canary = {
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Canary',
  metadata: { name: 'podinfo' },
  spec: {
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
    // kwok marks a pod Ready the moment it runs, before the test has started its process; a
    // real readiness probe would not. Retrying refused connections covers that window.
    service: { port: 80, targetPort: 8080, retries: { attempts: 5, retryOn: 'connect-failure,reset,gateway-error' } },
    analysis: {
      interval: '5s',
      threshold: 2,
      stepWeight: 25,
      maxWeight: 50,
      metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '5s' }],
      judge: { mode: 'threshold', minRequests: 10, confidence: 0.95, maxRelativeDegradation: 0.1 },
    },
    progressDeadlineSeconds: 60,
    revertOnDeletion: true,
  },
};

async function readCanary(): Promise<Canary> {
  return (await custom.getNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace, plural: 'canaries', name: 'podinfo' })) as Canary;
}

async function waitForPhase(phase: string, timeoutMs: number, seen?: Set<string>): Promise<Canary> {
  let last: Canary | undefined;
  await waitFor(
    `the Canary to reach ${phase}`,
    async () => {
      last = await readCanary();
      if (last.status?.phase) seen?.add(`${last.status.phase}:${last.status.canaryWeight ?? 0}`);
      return last.status?.phase === phase;
    },
    { timeoutMs, intervalMs: 100, describe: () => JSON.stringify(last?.status, null, 1) },
  );
  return last as Canary;
}

async function listenerPort(): Promise<number> {
  let port = 0;
  await waitFor(
    'the MeshRoute listener',
    async () => {
      const route = (await custom.getNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace, plural: 'meshroutes', name: 'podinfo' })) as MeshRoute;
      port = route.status?.listenerPort ?? 0;
      return port > 0;
    },
    { timeoutMs: 30_000 },
  );
  return port;
}

function get(port: number): Promise<{ status: number; version?: string }> {
  return new Promise((resolve) => {
    const req = request({ host: PROXY_ADDRESS, port, path: '/', agent }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, version: (JSON.parse(body) as { version?: string }).version });
        } catch {
          resolve({ status: res.statusCode ?? 0 });
        }
      });
    });
    req.on('error', () => resolve({ status: 0 }));
    req.end();
  });
}

interface LoadResult {
  sent: number;
  /** Responses that were not 200 because of the proxy or a missing backend (never the app's own 500s). */
  meshFailures: string[];
  appErrors: number;
  byVersion: Record<string, number>;
  firstAppErrorAt?: number;
}

/** Steady client traffic (about 100 req/s), bounded to 5 minutes. */
function clientLoad(port: number): { stop: () => Promise<LoadResult> } {
  let running = true;
  const result: LoadResult = { sent: 0, meshFailures: [], appErrors: 0, byVersion: {} };
  const worker = async (): Promise<void> => {
    const deadline = Date.now() + 300_000;
    while (running && Date.now() < deadline) {
      const started = Date.now();
      const res = await get(port);
      result.sent++;
      if (res.version) result.byVersion[res.version] = (result.byVersion[res.version] ?? 0) + 1;
      if (res.status === 500 && res.version) {
        result.appErrors++;
        result.firstAppErrorAt ??= Date.now();
      } else if (res.status !== 200) result.meshFailures.push(`${new Date().toISOString()} ${res.status}`);
      const wait = 20 - (Date.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  };
  const workers = [worker(), worker()];
  return {
    stop: async () => {
      running = false;
      await Promise.all(workers);
      return result;
    },
  };
}

beforeAll(async () => {
  await installCrds(config);
  namespace = await newNamespace('canary');
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'sluice-waypoint' } } });
  const token = await core.createNamespacedServiceAccountToken({ name: 'sluice-waypoint', namespace, body: { spec: { audiences: [] } } });
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, token.status?.token ?? '');
  const configPort = await freePort();

  const operator = new ManagedProcess({
    name: 'operator',
    command: process.execPath,
    args: [
      join(repoRoot, 'dist/operator/main.js'),
      `--kubeconfig=${kubeconfigPath()}`,
      `--namespace=${namespace}`,
      '--no-leader-elect',
      '--insecure-plaintext',
      '--config-host=127.0.0.1',
      `--config-port=${configPort}`,
      '--admin-host=127.0.0.1',
      '--admin-port=0',
      `--endpoint-address-map=${POD_ADDRESS_MAPPING}`,
      '--config-debounce=20ms',
    ],
    logFile: join(dir, 'operator.log'),
  });
  cleanups.push(() => operator.stop());
  const proxy = new ManagedProcess({
    name: 'sluice-proxy',
    command: process.execPath,
    args: [
      join(repoRoot, 'dist/proxy/main.js'),
      `--control-plane-url=http://127.0.0.1:${configPort}`,
      `--token-file=${tokenFile}`,
      `--admin-port=${await freePort()}`,
      `--bind-address=${PROXY_ADDRESS}`,
      '--proxy-id=waypoint-0',
    ],
    logFile: join(dir, 'proxy.log'),
  });
  cleanups.push(() => proxy.stop());

  // The "kubelet": a process for every running pod of the target and the primary.
  podApps = [new PodApps(core, namespace, 'app=podinfo', PodApps.fromPodEnv(8080)), new PodApps(core, namespace, 'app=podinfo-primary', PodApps.fromPodEnv(8080))];
  const loop = (async () => {
    while (syncing) {
      for (const pods of podApps) await pods.sync().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  cleanups.push(async () => {
    syncing = false;
    await loop;
    for (const pods of podApps) await pods.stop();
  });

  await apps.createNamespacedDeployment({ namespace, body: target('v1', 0) });
  await custom.createNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace, plural: 'canaries', body: canary });
}, 120_000);

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await deleteNamespace(namespace);
  if (process.env.SLUICE_KEEP_TEST_DIRS) process.stdout.write(`[canary] logs kept in ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
});

async function rollOut(version: string, errorRate: number): Promise<void> {
  await apps.patchNamespacedDeployment(
    { name: 'podinfo', namespace, body: { spec: { template: target(version, errorRate).spec?.template } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
  );
}

describe('canary controller', () => {
  let port: number;

  it('initializes: primary serves all traffic, the target is scaled to zero', async () => {
    const initialized = await waitForPhase('Initialized', 60_000);
    expect(initialized.status?.lastPromotedSpec).toBe(initialized.status?.lastAppliedSpec);
    port = await listenerPort();
    await waitFor('the target to be scaled to zero', async () => (await apps.readNamespacedDeployment({ name: 'podinfo', namespace })).spec?.replicas === 0, { timeoutMs: 30_000 });
    const primary = await apps.readNamespacedDeployment({ name: 'podinfo-primary', namespace });
    expect(primary.spec?.replicas).toBe(2);
    const load = clientLoad(port);
    await new Promise((r) => setTimeout(r, 1000));
    const result = await load.stop();
    expect(result.meshFailures).toEqual([]);
    expect(Object.keys(result.byVersion)).toEqual(['v1']);
  });

  it('promotes a healthy revision step by step with no failed client request', async () => {
    const load = clientLoad(port);
    await rollOut('v2', 0);
    const seen = new Set<string>();
    const done = await waitForPhase('Succeeded', 120_000, seen);
    await new Promise((r) => setTimeout(r, 1000));
    const result = await load.stop();
    expect(result.meshFailures).toEqual([]);
    expect(result.appErrors).toBe(0);
    expect(seen).toContain('Progressing:25');
    expect(seen).toContain('Progressing:50');
    expect(done.status?.lastPromotedSpec).toBe(done.status?.lastAppliedSpec);
    expect(done.status?.conditions?.find((c) => c.type === 'Promoted')?.status).toBe('True');
    // After promotion everyone gets v2 from the primary.
    const after = clientLoad(port);
    await new Promise((r) => setTimeout(r, 1000));
    expect(Object.keys((await after.stop()).byVersion)).toEqual(['v2']);
    const events = await core.listNamespacedEvent({ namespace, fieldSelector: 'involvedObject.kind=Canary' });
    const reasons = new Set(events.items.map((e) => e.reason));
    for (const reason of ['Progressing', 'WeightIncreased', 'Promoting', 'Promoted']) expect(reasons).toContain(reason);
  });

  it('rolls back a revision answering 30% errors, and says how fast', async () => {
    const load = clientLoad(port);
    await rollOut('v3', 0.3);
    const failed = await waitForPhase('Failed', 120_000);
    const rolledBackAt = Date.now();
    await new Promise((r) => setTimeout(r, 1000));
    const result = await load.stop();
    expect(result.meshFailures).toEqual([]);
    expect(failed.status?.canaryWeight).toBe(0);
    expect(failed.status?.failedChecks).toBe(2);
    expect(failed.status?.message).toMatch(/request-success-rate/);
    expect(failed.status?.lastPromotedSpec).not.toBe(failed.status?.lastAppliedSpec);
    // Clients see v2 only again.
    const after = clientLoad(port);
    await new Promise((r) => setTimeout(r, 1000));
    expect(Object.keys((await after.stop()).byVersion)).toEqual(['v2']);
    process.stdout.write(
      `[canary] threshold judge: ${result.appErrors} failed client requests of ${result.sent}; ` +
        `${((rolledBackAt - (result.firstAppErrorAt ?? rolledBackAt)) / 1000).toFixed(1)} s from the first bad response to Failed\n`,
    );
  });

  it('hands traffic back to the Deployment when the Canary is deleted', async () => {
    const load = clientLoad(port);
    await custom.deleteNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace, plural: 'canaries', name: 'podinfo' });
    // Clients keep going through the waypoint until the apex Service selects the Deployment's
    // pods again (the waypoint keeps the listener draining a few seconds after that).
    await waitFor(
      'the apex Service to select the Deployment again',
      async () => JSON.stringify((await core.readNamespacedService({ name: 'podinfo', namespace })).spec?.selector) === JSON.stringify({ app: 'podinfo' }),
      { timeoutMs: 60_000, intervalMs: 50 },
    );
    const result = await load.stop();
    expect(result.meshFailures).toEqual([]);
    expect(result.sent).toBeGreaterThan(10);
    let last: Canary | undefined;
    await waitFor(
      'the Canary to be gone',
      async () => {
        try {
          last = await readCanary();
          return false;
        } catch {
          return true;
        }
      },
      { timeoutMs: 60_000, describe: () => JSON.stringify({ finalizers: last?.metadata.finalizers, status: last?.status }, null, 1) },
    );
    const deployment = await apps.readNamespacedDeployment({ name: 'podinfo', namespace });
    expect(deployment.spec?.replicas).toBe(2);
    // The Deployment's own pods answer on their addresses, as the apex now sends them traffic.
    await waitFor('both pods of the Deployment to run', async () => podApps[0]!.addresses.length === 2, { timeoutMs: 10_000, intervalMs: 50 });
    const addresses = podApps[0]!.addresses;
    for (const address of addresses) {
      const answer = await new Promise<number>((resolve) => {
        const req = request({ host: address, port: 8080, path: '/', agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', () => resolve(0));
        req.end();
      });
      expect([200, 500]).toContain(answer);
    }
    await waitFor(
      'the primary Deployment and the -primary/-canary Services to be removed',
      async () => {
        const deployments = await apps.listNamespacedDeployment({ namespace });
        const services = await core.listNamespacedService({ namespace });
        return !deployments.items.some((d) => d.metadata?.name === 'podinfo-primary') && services.items.every((s) => !s.metadata?.name?.match(/-(primary|canary)$/));
      },
      { timeoutMs: 30_000 },
    );
  });
});
