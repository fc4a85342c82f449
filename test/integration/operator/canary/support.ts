// Shared setup of the canary controller's end-to-end tests: a real sluice-operator process
// (canary + MeshRoute controllers, config server), a real sluice-proxy process with a
// TokenRequest token, and the demo app running for every kwok pod of the target and the
// primary (its version, error rate and latency come from the pod's env). Clients call the
// apex through the waypoint listener, or follow the apex Service as kube-proxy would.
// Tests that bring their own objects (the GitOps test) start only the mesh (startMesh()).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { Canary, CanaryAnalysis } from '../../../../crds/canary.js';
import { installCrds } from '../../../../crds/install.js';
import type { MeshRoute } from '../../../../crds/meshroute.js';
import { freePort } from '../../../harness/control-plane.js';
import { deleteNamespace, kubeConfig, kubeconfigPath, newNamespace, POD_ADDRESS_MAPPING, repoRoot, waitFor } from '../../../harness/index.js';
import { ManagedProcess } from '../../../harness/managed-process.js';
import { loopbackAddressOf, PodApps } from '../../../harness/pod-apps.js';

export const config = kubeConfig();
export const core = config.makeApiClient(k8s.CoreV1Api);
export const apps = config.makeApiClient(k8s.AppsV1Api);
export const custom = config.makeApiClient(k8s.CustomObjectsApi);
const discovery = config.makeApiClient(k8s.DiscoveryV1Api);

export interface AppEnv {
  errorRate?: number;
  latencyMs?: number;
}

export function demoTarget(version: string, env: AppEnv = {}): k8s.V1Deployment {
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
                { name: 'ERROR_RATE', value: String(env.errorRate ?? 0) },
                ...(env.latencyMs ? [{ name: 'LATENCY_MS', value: String(env.latencyMs) }] : []),
              ],
            },
          ],
        },
      },
    },
  };
}

/** The Canary of the tests; `analysis` replaces the default analysis fields it names. */
export function canaryFor(analysis: Partial<CanaryAnalysis> = {}): Canary {
  return {
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
        ...analysis,
      },
      progressDeadlineSeconds: 60,
      revertOnDeletion: true,
    },
  };
}

export interface Response {
  status: number;
  version?: string;
  ms: number;
}

export interface LoadResult {
  sent: number;
  /** Responses that were not 200 because of the proxy or a missing backend (never the app's own 500s). */
  meshFailures: string[];
  appErrors: number;
  /** The app's own 500s, by version. */
  errorsByVersion: Record<string, number>;
  byVersion: Record<string, number>;
  firstAppErrorAt?: number;
  /** When each version first answered (epoch ms). */
  firstSeenAt: Record<string, number>;
  /** Every answer in order: when, from which version, and which way the request went. */
  timeline: { at: number; version?: string; status: number; via: Destination['via'] }[];
}

export interface LoadOptions {
  headers?: Record<string, string>;
  /** Concurrent workers, each at most 50 req/s (default 2). */
  workers?: number;
  /** Where each request goes (default: the waypoint listener `port`). */
  to?: () => Destination;
}

/** Where one request goes, and by which way (for the record). */
export interface Destination {
  host: string;
  port: number;
  via: 'waypoint' | 'endpoint';
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class CanaryTestEnv {
  readonly dir: string;
  namespace = '';
  podApps: PodApps[] = [];
  operator: ManagedProcess | undefined;
  operatorStarts = 0;
  /** The waypoint proxy process (see startMesh()). */
  proxy: ManagedProcess | undefined;
  /** Pod addresses another process already listened on (see start()). */
  readonly addressConflicts = new Set<string>();
  /** Requests the pod apps served, by version, apart from mirrored copies. */
  readonly servedByVersion: Record<string, number> = {};
  /** Mirrored copies (x-sluice-mirror: true) the pod apps served, by version. */
  readonly mirroredByVersion: Record<string, number> = {};
  /** When each version got its first mirrored copy (epoch ms). */
  readonly firstMirroredAt: Record<string, number> = {};
  private configPort = 0;
  private syncing = true;
  private readonly cleanups: (() => Promise<void> | void)[] = [];
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 16 });

  constructor(
    readonly tag: string,
    readonly proxyAddress: string,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `sluice-${tag}-`));
    this.cleanups.push(() => this.agent.destroy());
  }

  /**
   * Registers the test file's lifecycle: `start` before all its tests, `stop` (after the
   * environment's own) after them, and after each test the check that traffic reached this
   * run's pod apps, not another test run's on the same addresses.
   */
  hooks(start: () => Promise<void>, stop?: () => Promise<void>): this {
    beforeAll(start, 120_000);
    afterAll(async () => {
      await this.stop();
      await stop?.();
    });
    afterEach(() => expect([...this.addressConflicts]).toEqual([]));
    return this;
  }

  /** Namespace, operator, proxy and pod apps; then the target Deployment and the Canary. */
  async start(canary: Canary, initial: k8s.V1Deployment = demoTarget('v1'), extraOperatorArgs: string[] = []): Promise<void> {
    await this.startMesh(extraOperatorArgs);
    this.startPodApps();
    await apps.createNamespacedDeployment({ namespace: this.namespace, body: initial });
    await custom.createNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace: this.namespace, plural: 'canaries', body: canary });
  }

  /**
   * The control plane's share: CRDs, a fresh namespace, the operator and a waypoint proxy
   * that authenticates with a TokenRequest token of the namespace's sluice-waypoint
   * ServiceAccount. Routes count as applied only once this proxy has acknowledged them.
   */
  async startMesh(extraOperatorArgs: string[] = []): Promise<void> {
    await installCrds(config);
    this.namespace = await newNamespace(this.tag);
    const namespace = this.namespace;
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'sluice-waypoint' } } });
    const token = await core.createNamespacedServiceAccountToken({ name: 'sluice-waypoint', namespace, body: { spec: { audiences: [] } } });
    const tokenFile = join(this.dir, 'token');
    writeFileSync(tokenFile, token.status?.token ?? '');
    this.configPort = await freePort();
    this.extraOperatorArgs = extraOperatorArgs;
    this.startOperator();
    this.cleanups.push(() => this.operator?.stop());
    const proxy = new ManagedProcess({
      name: 'sluice-proxy',
      command: process.execPath,
      args: [
        join(repoRoot, 'dist/proxy/main.js'),
        `--control-plane-url=http://127.0.0.1:${this.configPort}`,
        `--token-file=${tokenFile}`,
        `--admin-port=${await freePort()}`,
        `--bind-address=${this.proxyAddress}`,
        '--proxy-id=waypoint-0',
      ],
      logFile: join(this.dir, 'proxy.log'),
    });
    this.proxy = proxy;
    this.cleanups.push(() => proxy.stop());
  }

  /** The "kubelet": a process for every running pod of the target and the primary. */
  private startPodApps(): void {
    const fromEnv = PodApps.fromPodEnv(8080);
    const counted = (pod: k8s.V1Pod): ReturnType<typeof fromEnv> => {
      const settings = fromEnv(pod);
      const count = (counts: Record<string, number>): number => (counts[settings.version] = (counts[settings.version] ?? 0) + 1);
      return {
        ...settings,
        onRequest: (req) => {
          const mirrored = req.headers['x-sluice-mirror'] === 'true';
          if (mirrored) this.firstMirroredAt[settings.version] ??= Date.now();
          count(mirrored ? this.mirroredByVersion : this.servedByVersion);
        },
      };
    };
    // One PodApps for both Deployments: kwok hands a deleted primary pod's address to the
    // next pod at once, maybe a target pod, and only the PodApps that still serves the old
    // pod's grace period can hand the address over (two instances would collide on it).
    this.podApps = [new PodApps(core, this.namespace, 'app in (podinfo,podinfo-primary)', counted)];
    const loop = (async () => {
      while (this.syncing) {
        for (const pods of this.podApps) {
          await pods.sync().catch((err: unknown) => {
            // Another test run on this machine (its own control plane hands out the same pod
            // addresses) holds the pod's address: traffic would reach its apps, not ours.
            if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') this.addressConflicts.add(String((err as Error).message));
          });
        }
        await sleep(100);
      }
    })();
    this.cleanups.push(async () => {
      this.syncing = false;
      await loop;
      for (const pods of this.podApps) await pods.stop();
    });
  }

  private extraOperatorArgs: string[] = [];

  /** A new operator process on the same config port (the proxy reconnects to it). */
  startOperator(): ManagedProcess {
    this.operatorStarts++;
    this.operator = new ManagedProcess({
      name: 'operator',
      command: process.execPath,
      args: [
        join(repoRoot, 'dist/operator/main.js'),
        `--kubeconfig=${kubeconfigPath()}`,
        `--namespace=${this.namespace}`,
        '--no-leader-elect',
        '--insecure-plaintext',
        '--config-host=127.0.0.1',
        `--config-port=${this.configPort}`,
        '--admin-host=127.0.0.1',
        '--admin-port=0',
        `--endpoint-address-map=${POD_ADDRESS_MAPPING}`,
        '--config-debounce=20ms',
        ...this.extraOperatorArgs,
      ],
      logFile: join(this.dir, 'operator.log'),
    });
    return this.operator;
  }

  async stop(): Promise<void> {
    for (const cleanup of this.cleanups.splice(0).reverse()) await cleanup();
    if (this.namespace) await deleteNamespace(this.namespace);
    if (process.env.SLUICE_KEEP_TEST_DIRS) process.stdout.write(`[${this.tag}] logs kept in ${this.dir}\n`);
    else rmSync(this.dir, { recursive: true, force: true });
  }

  async readCanary(): Promise<Canary> {
    return (await custom.getNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace: this.namespace, plural: 'canaries', name: 'podinfo' })) as Canary;
  }

  async patchCanary(patch: object): Promise<void> {
    await custom.patchNamespacedCustomObject(
      { group: 'sluice.dev', version: 'v1alpha1', namespace: this.namespace, plural: 'canaries', name: 'podinfo', body: patch },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
  }

  /**
   * Waits for `phase`; `seen` collects every "phase:weight" observed on the way. With
   * `after`, only a status of a rollout other than the revision `after` counts (a Failed
   * canary stays Failed until the next rollout starts).
   */
  async waitForPhase(phase: string, timeoutMs: number, seen?: Set<string>, intervalMs = 100, after?: string): Promise<Canary> {
    let last: Canary | undefined;
    await waitFor(
      `the Canary to reach ${phase}`,
      async () => {
        last = await this.readCanary();
        if (last.status?.phase) seen?.add(`${last.status.phase}:${last.status.canaryWeight ?? 0}`);
        return last.status?.phase === phase && (after === undefined || last.status.lastAppliedSpec !== after);
      },
      { timeoutMs, intervalMs, describe: () => JSON.stringify(last?.status, null, 1) + (this.operator && !this.operator.running ? `\n${this.operator.describeExit()}` : '') },
    );
    return last as Canary;
  }

  /**
   * Waits for the Canary to be Initialized with the target scaled to zero; resolves with the
   * waypoint listener port of the apex.
   */
  async initialize(): Promise<number> {
    await this.waitForPhase('Initialized', 60_000);
    const port = await this.listenerPort();
    await this.waitForTargetScaledToZero();
    return port;
  }

  /**
   * Waits until a blue/green or A/B analysis is at `iterations` (the pass after the last one
   * promotes, which switches everyone over by design), checking on the way that the phase
   * stays one of `phases`.
   */
  async waitForIterations(iterations: number, phases: readonly string[], timeoutMs = 90_000): Promise<Canary> {
    let last = await this.readCanary();
    const deadline = Date.now() + timeoutMs;
    const reached = (c: Canary): boolean => c.status?.phase === 'Progressing' && c.status.lastAppliedSpec !== c.status.lastPromotedSpec && (c.status.iterations ?? 0) >= iterations;
    while (Date.now() < deadline && !reached(last)) {
      expect(phases).toContain(last.status?.phase);
      await sleep(100);
      last = await this.readCanary();
    }
    expect(last.status?.iterations).toBe(iterations);
    return last;
  }

  async deleteCanary(): Promise<void> {
    await custom.deleteNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace: this.namespace, plural: 'canaries', name: 'podinfo' });
  }

  /** Waits until the finalizer is removed and the Canary is gone. */
  async waitForCanaryGone(timeoutMs = 60_000): Promise<void> {
    let last: Canary | undefined;
    await waitFor(
      'the Canary to be finalized and gone',
      async () => {
        try {
          last = await this.readCanary();
          return false;
        } catch {
          return true;
        }
      },
      { timeoutMs, intervalMs: 50, describe: () => JSON.stringify({ finalizers: last?.metadata.finalizers, status: last?.status }, null, 1) },
    );
  }

  /** Waits until what a Canary creates is gone: the primary Deployment, the -primary/-canary Services and the MeshRoute. */
  async waitForCleanup(): Promise<void> {
    await waitFor(
      'the primary Deployment, the -primary/-canary Services and the MeshRoute to be removed',
      async () => {
        const deployments = await apps.listNamespacedDeployment({ namespace: this.namespace });
        const services = await core.listNamespacedService({ namespace: this.namespace });
        const routes = (await custom.listNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace: this.namespace, plural: 'meshroutes' })) as { items: MeshRoute[] };
        return !deployments.items.some((d) => d.metadata?.name === 'podinfo-primary') && services.items.every((s) => !s.metadata?.name?.match(/-(primary|canary)$/)) && routes.items.length === 0;
      },
      { timeoutMs: 30_000 },
    );
  }

  /** The route's listener port, once a proxy serves it (status names the port before any proxy has bound it). */
  async listenerPort(): Promise<number> {
    let port = 0;
    await waitFor(
      'the MeshRoute listener, programmed into the proxies',
      async () => {
        const route = (await custom.getNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace: this.namespace, plural: 'meshroutes', name: 'podinfo' })) as MeshRoute;
        port = route.status?.listenerPort ?? 0;
        const programmed = route.status?.conditions?.some((c) => c.type === 'Programmed' && c.status === 'True') ?? false;
        return port > 0 && programmed;
      },
      { timeoutMs: 30_000 },
    );
    return port;
  }

  async waitForTargetScaledToZero(): Promise<void> {
    await waitFor('the target to be scaled to zero', async () => (await apps.readNamespacedDeployment({ name: 'podinfo', namespace: this.namespace })).spec?.replicas === 0, {
      timeoutMs: 30_000,
    });
  }

  async rollOut(version: string, env: AppEnv = {}): Promise<void> {
    await apps.patchNamespacedDeployment(
      { name: 'podinfo', namespace: this.namespace, body: { spec: { template: demoTarget(version, env).spec?.template } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
  }

  get(port: number, headers: Record<string, string> = {}): Promise<Response> {
    return this.call({ host: this.proxyAddress, port, via: 'waypoint' }, headers);
  }

  private call(to: Destination, headers: Record<string, string>): Promise<Response> {
    const started = performance.now();
    return new Promise((resolve) => {
      const req = request({ host: to.host, port: to.port, path: '/', agent: this.agent, headers }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          const ms = performance.now() - started;
          try {
            resolve({ status: res.statusCode ?? 0, version: (JSON.parse(body) as { version?: string }).version, ms });
          } catch {
            resolve({ status: res.statusCode ?? 0, ms });
          }
        });
      });
      req.on('error', () => resolve({ status: 0, ms: performance.now() - started }));
      req.end();
    });
  }

  /** Steady client traffic (about 50 req/s per worker), bounded to 5 minutes. */
  clientLoad(port: number, options: LoadOptions = {}): { stop: () => Promise<LoadResult> } {
    let running = true;
    const result: LoadResult = { sent: 0, meshFailures: [], appErrors: 0, errorsByVersion: {}, byVersion: {}, firstSeenAt: {}, timeline: [] };
    const destination = options.to ?? ((): Destination => ({ host: this.proxyAddress, port, via: 'waypoint' }));
    const worker = async (): Promise<void> => {
      const deadline = Date.now() + 300_000;
      while (running && Date.now() < deadline) {
        const started = Date.now();
        const to = destination();
        const res = await this.call(to, options.headers ?? {});
        result.sent++;
        result.timeline.push({ at: Date.now(), status: res.status, via: to.via, ...(res.version ? { version: res.version } : {}) });
        if (res.version) {
          result.byVersion[res.version] = (result.byVersion[res.version] ?? 0) + 1;
          result.firstSeenAt[res.version] ??= Date.now();
        }
        if (res.status === 500 && res.version) {
          result.appErrors++;
          result.errorsByVersion[res.version] = (result.errorsByVersion[res.version] ?? 0) + 1;
          result.firstAppErrorAt ??= Date.now();
        } else if (res.status !== 200) result.meshFailures.push(`${new Date().toISOString()} ${res.status}`);
        const wait = 20 - (Date.now() - started);
        if (wait > 0) await sleep(wait);
      }
    };
    const workers = Array.from({ length: options.workers ?? 2 }, () => worker());
    return {
      stop: async () => {
        running = false;
        await Promise.all(workers);
        return result;
      },
    };
  }

  /** The versions clients get for about a second. */
  async versionsServed(port: number): Promise<string[]> {
    const load = this.clientLoad(port);
    await sleep(1000);
    return Object.keys((await load.stop()).byVersion).sort();
  }

  /**
   * Where a client of the apex Service lands, as kube-proxy would send it, kept up to date
   * every 50 ms: one of the Service's ready endpoints (mapped onto loopback), or the waypoint
   * listener while the Service has none. The harness runs the waypoint as a process, not as a
   * pod, so a Service taken over by a MeshRoute selects no pod: its one endpoint is the
   * listener. Stop it with `stop()`.
   */
  followApex(listenerPort: number): { to: () => Destination; stop: () => Promise<void> } {
    let endpoints: Destination[] = [];
    let next = 0;
    let running = true;
    const poll = (async () => {
      const deadline = Date.now() + 300_000;
      while (running && Date.now() < deadline) {
        endpoints = (await this.apexEndpoints().catch(() => undefined)) ?? endpoints;
        await sleep(50);
      }
    })();
    return {
      to: () => (endpoints.length > 0 ? (endpoints[next++ % endpoints.length] as Destination) : { host: this.proxyAddress, port: listenerPort, via: 'waypoint' }),
      stop: async () => {
        running = false;
        await poll;
      },
    };
  }

  /** The ready endpoints of the apex Service's EndpointSlices, mapped onto loopback. */
  async apexEndpoints(): Promise<Destination[]> {
    const slices = await discovery.listNamespacedEndpointSlice({ namespace: this.namespace, labelSelector: 'kubernetes.io/service-name=podinfo' });
    return slices.items.flatMap((slice) => {
      const port = slice.ports?.[0]?.port;
      if (port === undefined || port === null) return [];
      return (slice.endpoints ?? [])
        .filter((e) => e.conditions?.ready !== false)
        .flatMap((e) => e.addresses.map((address): Destination => ({ host: loopbackAddressOf(address), port, via: 'endpoint' })));
    });
  }

  /** Event reasons recorded for the Canary. */
  async eventReasons(): Promise<Set<string>> {
    const events = await core.listNamespacedEvent({ namespace: this.namespace, fieldSelector: 'involvedObject.kind=Canary' });
    return new Set(events.items.map((e) => e.reason ?? ''));
  }
}
