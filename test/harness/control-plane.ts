// A real Kubernetes control plane on loopback: etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler and kwok (fake nodes that make pods "run"), with generated certificates,
// RBAC on and ServiceAccount tokens signed by a key of our own.
import { createServer } from 'node:net';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get as httpGet } from 'node:http';
import { Agent, request } from 'node:https';
import { stringify } from 'yaml';
import * as k8s from '@kubernetes/client-node';
import { binaryPath, cacheDir, pinnedVersions, repoRoot } from './binaries.js';
import { ManagedProcess, waitFor } from './managed-process.js';
import { claimPodCidr, type PodCidrLease } from './pod-cidr.js';
import { CertificateAuthority, serviceAccountSigningKeys, type KeyPairPem } from './pki.js';

/**
 * Simulated pods get addresses from the benchmarking range 198.18.0.0/15 (never routed) and
 * their processes listen on the same address mapped onto loopback; see operator/address-map.ts
 * for why pods cannot have loopback addresses themselves. Each control plane takes its own
 * block of 198.18.0.0/16 (pod-cidr.ts) so concurrent runs never share pod addresses.
 */
export const POD_ADDRESS_MAPPING = '198.18.0.0/15=127.18.0.0/15';
export const SERVICE_CIDR = '198.19.0.0/16';
export const FAKE_NODE_NAME = 'kwok-node-0';
/** kwok's pod lifecycle: Ready once the pod's process listens (pod-process.ts). */
export const KWOK_STAGES_FILE = join(repoRoot, 'test/harness/kwok-stages.yaml');

export interface ControlPlaneOptions {
  /** Keep the working directory (certificates, logs, etcd data) after stop(). */
  keepDir?: boolean;
  log?: (line: string) => void;
}

export interface ControlPlaneInfo {
  dir: string;
  kubeconfigPath: string;
  apiServerUrl: string;
  caPem: string;
  serviceAccountIssuer: string;
  /** This control plane's pod address block, e.g. 198.18.32.0/20. */
  podCidr: string;
  pids: number[];
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function kubeconfigYaml(server: string, caPem: string, user: string, client: KeyPairPem): string {
  const b64 = (text: string): string => Buffer.from(text).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'sluice-test', cluster: { server, 'certificate-authority-data': b64(caPem) } }],
    users: [{ name: user, user: { 'client-certificate-data': b64(client.certPem), 'client-key-data': b64(client.keyPem) } }],
    contexts: [{ name: 'sluice-test', context: { cluster: 'sluice-test', user, namespace: 'default' } }],
    'current-context': 'sluice-test',
  });
}

export class ControlPlane {
  private readonly processes: ManagedProcess[] = [];
  private stopped = false;

  private constructor(
    readonly info: ControlPlaneInfo,
    private readonly options: ControlPlaneOptions,
    private readonly podCidrLease: PodCidrLease,
  ) {}

  get kubeconfigPath(): string {
    return this.info.kubeconfigPath;
  }

  kubeConfig(): k8s.KubeConfig {
    const config = new k8s.KubeConfig();
    config.loadFromFile(this.info.kubeconfigPath);
    return config;
  }

  static async start(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
    const log = options.log ?? ((): void => undefined);
    const started = Date.now();
    const dir = mkdtempSync(join(tmpdir(), 'sluice-cp-'));
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    const pki = join(dir, 'pki');
    mkdirSync(pki);

    const [etcdClientPort, etcdPeerPort, apiPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const apiServerUrl = `https://127.0.0.1:${apiPort}`;
    const serviceAccountIssuer = 'https://kubernetes.default.svc.cluster.local';

    const ca = CertificateAuthority.create();
    const serving = ca.serverCertificate(
      'kube-apiserver',
      ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
      ['127.0.0.1', '198.19.0.1'],
    );
    const admin = ca.clientCertificate({ commonName: 'sluice-admin', organizations: ['system:masters'] });
    const controllerManager = ca.clientCertificate({ commonName: 'system:kube-controller-manager' });
    const scheduler = ca.clientCertificate({ commonName: 'system:kube-scheduler' });
    const saKeys = serviceAccountSigningKeys();
    const file = (name: string, content: string): string => {
      const path = join(pki, name);
      writeFileSync(path, content, { mode: 0o600 });
      return path;
    };
    const caFile = file('ca.crt', ca.certPem);
    const servingCert = file('apiserver.crt', serving.certPem);
    const servingKey = file('apiserver.key', serving.keyPem);
    const saKey = file('sa.key', saKeys.privatePem);
    const saPub = file('sa.pub', saKeys.publicPem);
    const kubeconfigPath = join(dir, 'admin.kubeconfig');
    writeFileSync(kubeconfigPath, kubeconfigYaml(apiServerUrl, ca.certPem, 'sluice-admin', admin), { mode: 0o600 });
    const kcmKubeconfig = join(dir, 'controller-manager.kubeconfig');
    writeFileSync(kcmKubeconfig, kubeconfigYaml(apiServerUrl, ca.certPem, 'kcm', controllerManager), { mode: 0o600 });
    const schedulerKubeconfig = join(dir, 'scheduler.kubeconfig');
    writeFileSync(schedulerKubeconfig, kubeconfigYaml(apiServerUrl, ca.certPem, 'scheduler', scheduler), { mode: 0o600 });

    const podCidr = claimPodCidr();
    const plane = new ControlPlane(
      { dir, kubeconfigPath, apiServerUrl, caPem: ca.certPem, serviceAccountIssuer, podCidr: podCidr.cidr, pids: [] },
      options,
      podCidr,
    );
    const spawn = (name: string, command: string, args: string[]): ManagedProcess => {
      const proc = new ManagedProcess({ name, command, args, logFile: join(logs, `${name}.log`) });
      plane.processes.push(proc);
      if (proc.pid !== undefined) plane.info.pids.push(proc.pid);
      return proc;
    };

    try {
      const etcd = spawn('etcd', binaryPath('etcd'), [
        '--name=sluice',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${etcdClientPort}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdClientPort}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
        `--initial-cluster=sluice=http://127.0.0.1:${etcdPeerPort}`,
        // Test data is thrown away: durability buys nothing and fsync costs seconds.
        '--unsafe-no-fsync',
        '--log-level=warn',
      ]);
      await waitFor('etcd to be healthy', () => httpOk(`http://127.0.0.1:${etcdClientPort}/health`), {
        timeoutMs: 30_000,
        describe: () => etcd.describeExit(),
      });
      log(`etcd ready after ${Date.now() - started} ms`);

      const apiserver = spawn('kube-apiserver', binaryPath('kube-apiserver'), [
        `--etcd-servers=http://127.0.0.1:${etcdClientPort}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--cert-dir=${join(dir, 'apiserver-certs')}`,
        `--tls-cert-file=${servingCert}`,
        `--tls-private-key-file=${servingKey}`,
        `--client-ca-file=${caFile}`,
        `--service-account-issuer=${serviceAccountIssuer}`,
        `--service-account-key-file=${saPub}`,
        `--service-account-signing-key-file=${saKey}`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        '--authorization-mode=RBAC',
        '--allow-privileged=true',
        // Nothing routes to the "kubernetes" Service here; its loopback endpoint would be invalid anyway.
        '--endpoint-reconciler-type=none',
        '--enable-priority-and-fairness=false',
        '--profiling=false',
        '--v=1',
      ]);
      await waitFor('kube-apiserver to be ready', () => apiReady(apiServerUrl, ca.certPem, admin), {
        timeoutMs: 90_000,
        intervalMs: 250,
        describe: () => apiserver.describeExit(),
      });
      log(`kube-apiserver ready after ${Date.now() - started} ms`);

      spawn('kube-controller-manager', binaryPath('kube-controller-manager'), [
        `--kubeconfig=${kcmKubeconfig}`,
        `--authentication-kubeconfig=${kcmKubeconfig}`,
        `--authorization-kubeconfig=${kcmKubeconfig}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${await freePort()}`,
        `--cert-dir=${join(dir, 'kcm-certs')}`,
        '--use-service-account-credentials=true',
        `--service-account-private-key-file=${saKey}`,
        `--root-ca-file=${caFile}`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        '--leader-elect=false',
        // Garbage collection, ReplicaSets, EndpointSlices and friends should react at once in tests.
        '--concurrent-deployment-syncs=10',
        '--concurrent-replicaset-syncs=10',
        '--concurrent-service-endpoint-syncs=10',
        '--endpointslice-updates-batch-period=0s',
        '--v=1',
      ]);
      spawn('kube-scheduler', binaryPath('kube-scheduler'), [
        `--kubeconfig=${schedulerKubeconfig}`,
        `--authentication-kubeconfig=${schedulerKubeconfig}`,
        `--authorization-kubeconfig=${schedulerKubeconfig}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${await freePort()}`,
        '--leader-elect=false',
        '--v=1',
      ]);
      spawn('kwok', binaryPath('kwok'), [
        `--kubeconfig=${kubeconfigPath}`,
        '--manage-all-nodes=false',
        '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
        `--cidr=${podCidr.cidr}`,
        `--node-ip=${podCidr.nodeIP}`,
        '--node-lease-duration-seconds=40',
        `--server-address=127.0.0.1:${await freePort()}`,
        // Pods become Ready only once their process listens (see the file).
        `--config=${KWOK_STAGES_FILE}`,
      ]);

      const config = plane.kubeConfig();
      await createFakeNode(config.makeApiClient(k8s.CoreV1Api), podCidr.cidr);
      await waitFor(
        'the fake node to be Ready and the default ServiceAccount to exist',
        async () => (await nodeReady(config)) && (await defaultServiceAccountExists(config)),
        { timeoutMs: 60_000, describe: () => plane.processes.map((p) => (p.running ? '' : p.describeExit())).join('\n') },
      );
      await warmPodAddressPool(config);
      log(`control plane ready after ${Date.now() - started} ms (kubeconfig: ${kubeconfigPath})`);
      return plane;
    } catch (err) {
      await plane.stop({ keepLogs: true });
      throw err;
    }
  }

  /** Processes that died unexpectedly, for assertions and diagnostics. */
  crashed(): string[] {
    return this.processes.filter((p) => !p.running).map((p) => p.describeExit());
  }

  async stop(opts: { keepLogs?: boolean } = {}): Promise<string | undefined> {
    if (this.stopped) return undefined;
    this.stopped = true;
    // Reverse start order: clients of the API server first, etcd last.
    for (const proc of [...this.processes].reverse()) await proc.stop();
    let keptLogs: string | undefined;
    if (opts.keepLogs) {
      const logsRoot = join(cacheDir(), 'logs');
      keptLogs = join(logsRoot, `control-plane-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      mkdirSync(keptLogs, { recursive: true });
      cpSync(join(this.info.dir, 'logs'), keptLogs, { recursive: true });
      pruneOldest(logsRoot, 'control-plane-', 5);
    }
    if (!this.options.keepDir) rmSync(this.info.dir, { recursive: true, force: true });
    this.podCidrLease.release();
    return keptLogs;
  }

  static versions(): ReturnType<typeof pinnedVersions> {
    return pinnedVersions();
  }
}

/** Keeps the `keep` newest entries named `prefix*` (names sort by time) and removes the rest. */
function pruneOldest(dir: string, prefix: string, keep: number): void {
  const entries = readdirSync(dir).filter((name) => name.startsWith(prefix)).sort();
  for (const name of entries.slice(0, Math.max(0, entries.length - keep))) {
    rmSync(join(dir, name), { recursive: true, force: true });
  }
}

function httpOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    // No keep-alive: a pooled socket would keep the test process alive after the run.
    const req = httpGet(url, { agent: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

function apiReady(server: string, caPem: string, client: KeyPairPem): Promise<boolean> {
  const agent = new Agent({ ca: caPem, cert: client.certPem, key: client.keyPem });
  return new Promise((resolve) => {
    const req = request(`${server}/readyz`, { agent, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  }).finally(() => agent.destroy()) as Promise<boolean>;
}

async function createFakeNode(core: k8s.CoreV1Api, podCidr: string): Promise<void> {
  await core.createNode({
    body: {
      metadata: {
        name: FAKE_NODE_NAME,
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        labels: {
          'kubernetes.io/arch': 'amd64',
          'kubernetes.io/os': 'linux',
          'kubernetes.io/hostname': FAKE_NODE_NAME,
          type: 'kwok',
        },
      },
      spec: { podCIDR: podCidr, podCIDRs: [podCidr] },
    },
  });
}

async function nodeReady(config: k8s.KubeConfig): Promise<boolean> {
  const node = await config.makeApiClient(k8s.CoreV1Api).readNode({ name: FAKE_NODE_NAME });
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

async function defaultServiceAccountExists(config: k8s.KubeConfig): Promise<boolean> {
  await config.makeApiClient(k8s.CoreV1Api).readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
  return true;
}

/**
 * kwok (v0.7.0) creates a node's pod address pool lazily, and two of its pod workers that
 * play their first pods at the same moment may each create one: both pods then get the
 * first address of the block, and only one of them can have a process listening on it.
 * A Deployment's first two pods start at once, and 1 of the playground's first 7 runs here
 * got stuck with a pod that never became Ready. One pod given an address alone creates the
 * pool for good; it is deleted at once.
 */
async function warmPodAddressPool(config: k8s.KubeConfig): Promise<void> {
  const core = config.makeApiClient(k8s.CoreV1Api);
  const namespace = 'kube-system';
  const name = 'pod-address-pool-warm-up';
  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name },
      // Bound to the fake node directly: nothing for the scheduler to do, and no process for the pod runner to start.
      spec: { nodeName: FAKE_NODE_NAME, containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10' }] },
    },
  });
  await waitFor('kwok to give the warm-up pod an address', async () => Boolean((await core.readNamespacedPod({ name, namespace })).status?.podIP), {
    timeoutMs: 30_000,
    intervalMs: 100,
  });
  await core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 });
}
