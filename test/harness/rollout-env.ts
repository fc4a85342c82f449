// One rollout environment, end to end, on the test control plane: a namespace with
//
// - a sluice-operator process that runs the namespace's waypoint (two sluice-proxy pods the
//   pod runner runs, each with a pod-bound TokenRequest token),
// - the `podinfo` Deployment of the demo app (pods run by the pod runner, their version,
//   error rate and latency from the pod's env) under a Canary analysed by Prometheus
//   MetricTemplates (not the builtin provider), unless the test gives other metrics,
// - a real Prometheus that finds the waypoint pods through its Kubernetes service discovery
//   against the test API server (with its own ServiceAccount token and RBAC) and scrapes them,
// - a webhook receiver (the Canary's pre-rollout acceptance check and a generic AlertProvider
//   with every event) and a Slack-compatible receiver (an AlertProvider of type slack that
//   hears errors only),
// - helpers for clients (an open-loop load generator over the waypoint pods), for the Canary's
//   status over time, for the kubectl-sluice CLI, and for killing the operator or Prometheus.
//
// Used by the e2e suite (test/e2e), `npm run bench:rollout`, and the playground.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { Canary, CanaryAnalysis, CanaryService } from '../../crds/canary.js';
import { installCrds } from '../../crds/install.js';
import type { MeshRoute } from '../../crds/meshroute.js';
import { WAYPOINT_NAME, WAYPOINT_TOKEN_AUDIENCE } from '../../operator/meshroute/waypoint.js';
import { freePort } from './control-plane.js';
import { HttpReceiver } from './http-receiver.js';
import { deleteNamespace, kubeConfig, kubeconfigPath, newNamespace, repoRoot, waitFor } from './index.js';
import { LoadGenerator, type LoadOptions } from './load-generator.js';
import type { ManagedProcess } from './managed-process.js';
import { PodRunner } from './pod-runner.js';
import { TestPrometheus } from './prometheus.js';
import type { StatusObservation } from './rollout-figures.js';
import { startOperatorProcess } from './sluice-processes.js';

export const APP = 'podinfo';
/** Replicas of the demo app (primary and canary each). */
export const APP_REPLICAS = 2;
export const WAYPOINT_REPLICAS = 2;

export interface AppEnv {
  errorRate?: number;
  latencyMs?: number;
  latencyJitterMs?: number;
}

/**
 * The baseline every version starts from: 15..25 ms per request, so its p99 (≈ 25 ms) lies well
 * inside the latency threshold and "3× the p99" (75 ms) well outside.
 */
export const BASELINE: Required<AppEnv> = { errorRate: 0, latencyMs: 15, latencyJitterMs: 10 };
/** p99 limit of the latency template check, ms. */
export const LATENCY_LIMIT_MS = 60;

export function demoDeployment(version: string, env: AppEnv = {}): k8s.V1Deployment {
  const settings = { ...BASELINE, ...env };
  return {
    metadata: { name: APP },
    spec: {
      replicas: APP_REPLICAS,
      selector: { matchLabels: { app: APP } },
      template: {
        metadata: { labels: { app: APP } },
        spec: {
          containers: [
            {
              name: 'app',
              image: `sluice.dev/demo-app:${version}`,
              ports: [{ name: 'http', containerPort: 8080 }],
              env: [
                { name: 'VERSION', value: version },
                { name: 'ERROR_RATE', value: String(settings.errorRate) },
                { name: 'LATENCY_MS', value: String(settings.latencyMs) },
                { name: 'LATENCY_JITTER_MS', value: String(settings.latencyJitterMs) },
              ],
              readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 2 },
            },
          ],
        },
      },
    },
  };
}

const selector = (metric: string, extra: string): string => `${metric}{namespace="{{ namespace }}",backend="{{ service }}-canary"${extra}}`;

/**
 * Flagger-style PromQL over the waypoints' metrics (the scrape adds `namespace`). The success
 * rate counts 5xx and lost requests (code "0") as failures; `or vector(0)` keeps it defined
 * while there are none.
 */
export function metricTemplates(): { name: string; query: string }[] {
  const successRate = (mirrored: string): string =>
    `100 * (1 - (sum(rate(${selector('sluice_requests_total', `${mirrored},code=~"5..|0"`)}[{{ interval }}])) or vector(0)) / sum(rate(${selector('sluice_requests_total', mirrored)}[{{ interval }}])))`;
  return [
    { name: 'success-rate', query: successRate(',mirrored!="true"') },
    // Blue/green with mirroring: the canary serves only mirrored copies until it is promoted.
    { name: 'success-rate-with-mirrors', query: successRate('') },
    { name: 'latency-p99', query: `histogram_quantile(0.99, sum by (le) (rate(${selector('sluice_request_duration_seconds_bucket', '')}[{{ interval }}]))) * 1000` },
  ];
}

export interface RolloutEnvOptions {
  /** Replaces the analysis fields it names (see defaultAnalysis). */
  analysis?: (env: RolloutEnv) => Partial<CanaryAnalysis>;
  service?: Partial<CanaryService>;
  /** Extra operator flags. */
  operatorArgs?: string[];
  /** Skip Prometheus (for analyses on the builtin provider only). */
  withoutPrometheus?: boolean;
  /** Pod runner log lines (the playground prints them). */
  log?: (line: string) => void;
}

export class RolloutEnv {
  readonly dir: string;
  namespace = '';
  runner: PodRunner | undefined;
  prometheus: TestPrometheus | undefined;
  operator: ManagedProcess | undefined;
  /** The Canary's pre-rollout acceptance check (/acceptance) and the generic AlertProvider (/events). */
  webhook: HttpReceiver | undefined;
  /** The Slack-compatible AlertProvider (errors only). */
  slack: HttpReceiver | undefined;
  listenerPort = 0;
  operatorStarts = 0;
  private configPort = 0;
  private readonly config = kubeConfig();
  readonly core = this.config.makeApiClient(k8s.CoreV1Api);
  readonly apps = this.config.makeApiClient(k8s.AppsV1Api);
  readonly custom = this.config.makeApiClient(k8s.CustomObjectsApi);
  private readonly cleanups: (() => Promise<void> | void)[] = [];
  private readonly observations: StatusObservation[] = [];
  private polling = false;
  private poller: Promise<void> | undefined;

  constructor(
    readonly tag: string,
    private readonly options: RolloutEnvOptions = {},
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `sluice-${tag}-`));
  }

  /** The analysis of the tests: 25% steps to 50% every 5 s, two failed checks roll back. */
  defaultAnalysis(): CanaryAnalysis {
    return {
      interval: '5s',
      threshold: 2,
      stepWeight: 25,
      maxWeight: 50,
      metrics: [
        { name: 'success-rate', templateRef: { name: 'success-rate' }, thresholdRange: { min: 99 }, interval: '5s' },
        { name: 'latency-p99', templateRef: { name: 'latency-p99' }, thresholdRange: { max: LATENCY_LIMIT_MS }, interval: '5s' },
      ],
      webhooks: [{ name: 'acceptance', type: 'pre-rollout', url: `${this.webhook?.url ?? ''}/acceptance`, timeout: '5s' }],
      alerts: [
        { name: 'events', severity: 'info', providerRef: { name: 'events' } },
        { name: 'slack', severity: 'error', providerRef: { name: 'slack' } },
      ],
    };
  }

  async start(): Promise<void> {
    await installCrds(this.config);
    this.namespace = await newNamespace(this.tag);
    const namespace = this.namespace;
    this.runner = await PodRunner.start({ kubeConfig: this.config, namespace, dir: join(this.dir, 'pods'), ...(this.options.log ? { log: this.options.log } : {}) });
    this.cleanups.push(() => this.runner?.stop());

    this.webhook = await HttpReceiver.start();
    this.slack = await HttpReceiver.start();
    this.cleanups.push(() => this.webhook?.stop(), () => this.slack?.stop());
    await this.createAlertProviders();

    if (!this.options.withoutPrometheus) {
      this.prometheus = await TestPrometheus.start({ targets: [], kubernetesPods: await this.prometheusDiscovery() });
      this.cleanups.push(() => this.prometheus?.stop({ keepDir: Boolean(process.env.SLUICE_KEEP_TEST_DIRS) }));
      for (const template of metricTemplates()) {
        await this.custom.createNamespacedCustomObject({
          group: 'sluice.dev',
          version: 'v1alpha1',
          namespace,
          plural: 'metrictemplates',
          body: {
            apiVersion: 'sluice.dev/v1alpha1',
            kind: 'MetricTemplate',
            metadata: { name: template.name },
            spec: { provider: { type: 'prometheus', address: this.prometheus.url }, query: template.query },
          },
        });
      }
    }

    this.configPort = await freePort();
    this.startOperator();
    this.cleanups.push(() => this.operator?.stop());

    await this.apps.createNamespacedDeployment({ namespace, body: demoDeployment('v1') });
    const canary: Canary = {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'Canary',
      metadata: { name: APP },
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: APP },
        // No retries: every failure a client could see, it sees.
        service: { port: 80, targetPort: 8080, ...this.options.service },
        analysis: { ...this.defaultAnalysis(), ...this.options.analysis?.(this) },
        progressDeadlineSeconds: 60,
        revertOnDeletion: false,
      },
    };
    await this.custom.createNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace, plural: 'canaries', body: canary });

    this.polling = true;
    this.poller = this.pollStatus();
    this.cleanups.push(async () => {
      this.polling = false;
      await this.poller;
    });

    await this.waitForPhase('Initialized', 90_000);
    await this.waitForProgrammed();
    await waitFor(
      'the waypoint and primary pods to run',
      async () => {
        const pods = this.runner?.pods() ?? [];
        const ready = (program: string, prefix: string): number => pods.filter((p) => p.program === program && p.name.startsWith(prefix) && p.state === 'ready').length;
        return ready('sluice-proxy', WAYPOINT_NAME) === WAYPOINT_REPLICAS && ready('demo-app', `${APP}-primary-`) === APP_REPLICAS;
      },
      { timeoutMs: 60_000, describe: () => JSON.stringify(this.runner?.pods(), null, 1) },
    );
    if (this.prometheus) {
      const waypoints = (this.runner?.pods() ?? []).filter((p) => p.program === 'sluice-proxy').map((p) => p.name);
      await this.prometheus.waitForPodScrapes(waypoints, Date.now());
    }
  }

  private async createAlertProviders(): Promise<void> {
    const namespace = this.namespace;
    // Webhook addresses are credentials: they live in Secrets, as in production.
    await this.core.createNamespacedSecret({ namespace, body: { metadata: { name: 'slack-url' }, stringData: { address: `${this.slack?.url ?? ''}/services/T000/B000/XXXX` } } });
    const provider = (name: string, spec: Record<string, unknown>): Promise<unknown> =>
      this.custom.createNamespacedCustomObject({
        group: 'sluice.dev',
        version: 'v1alpha1',
        namespace,
        plural: 'alertproviders',
        body: { apiVersion: 'sluice.dev/v1alpha1', kind: 'AlertProvider', metadata: { name }, spec },
      });
    await provider('slack', { type: 'slack', channel: 'deployments', secretRef: { name: 'slack-url' } });
    await provider('events', { type: 'generic', address: `${this.webhook?.url ?? ''}/events` });
  }

  /** A ServiceAccount for Prometheus that may discover pods in the namespace, and its token. */
  private async prometheusDiscovery(): Promise<NonNullable<Parameters<typeof TestPrometheus.start>[0]['kubernetesPods']>> {
    const namespace = this.namespace;
    const rbac = this.config.makeApiClient(k8s.RbacAuthorizationV1Api);
    await this.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'prometheus' } } });
    await rbac.createNamespacedRole({
      namespace,
      body: { metadata: { name: 'prometheus' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'prometheus' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'prometheus' },
        subjects: [{ kind: 'ServiceAccount', name: 'prometheus', namespace }],
      },
    });
    const token = await this.core.createNamespacedServiceAccountToken({ name: 'prometheus', namespace, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
    const cluster = this.config.getCurrentCluster();
    return {
      apiServerUrl: cluster?.server ?? '',
      caPem: Buffer.from(cluster?.caData ?? '', 'base64').toString(),
      token: token.status?.token ?? '',
      namespaces: [namespace],
    };
  }

  /** A new operator process on the same config port (the waypoints reconnect to it). */
  startOperator(): ManagedProcess {
    this.operatorStarts++;
    this.operator = startOperatorProcess({
      name: `operator-${this.operatorStarts}`,
      namespace: this.namespace,
      configPort: this.configPort,
      dir: this.dir,
      extraArgs: [
        '--waypoint-image=sluice.dev/proxy:e2e',
        `--waypoint-replicas=${WAYPOINT_REPLICAS}`,
        `--waypoint-config-server-url=http://127.0.0.1:${this.configPort}`,
        `--token-audience=${WAYPOINT_TOKEN_AUDIENCE}`,
        ...(this.options.operatorArgs ?? []),
      ],
    });
    return this.operator;
  }

  /** Kills the operator without grace, as a crash or an evicted node would. */
  async killOperator(): Promise<void> {
    await this.operator?.kill();
  }

  private async waitForProgrammed(): Promise<void> {
    let route: MeshRoute | undefined;
    await waitFor(
      'the MeshRoute to be Programmed on every waypoint proxy',
      async () => {
        route = (await this.custom.getNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace: this.namespace, plural: 'meshroutes', name: APP })) as MeshRoute;
        return route.status?.conditions?.some((c) => c.type === 'Programmed' && c.status === 'True') === true && route.status.proxies?.applied === WAYPOINT_REPLICAS;
      },
      { timeoutMs: 60_000, describe: () => `${JSON.stringify(route?.status)}\n${this.operator?.running === false ? this.operator.describeExit() : ''}` },
    );
    this.listenerPort = route?.status?.listenerPort ?? 0;
  }

  /** host:port of the MeshRoute's listener on every ready waypoint pod. */
  waypointTargets(): string[] {
    return (this.runner?.pods() ?? []).filter((p) => p.program === 'sluice-proxy' && p.state === 'ready').map((p) => `${p.address}:${this.listenerPort}`);
  }

  /** Clients of the podinfo Service, through the waypoint pods. */
  load(options: Omit<LoadOptions, 'targets'> = {}): LoadGenerator {
    return LoadGenerator.start({ targets: () => this.waypointTargets(), ratePerSecond: 100, ...options });
  }

  async rollOut(version: string, env: AppEnv = {}): Promise<void> {
    await this.apps.patchNamespacedDeployment(
      { name: APP, namespace: this.namespace, body: { spec: { template: demoDeployment(version, env).spec?.template } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
  }

  async readCanary(): Promise<Canary> {
    return (await this.custom.getNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace: this.namespace, plural: 'canaries', name: APP })) as Canary;
  }

  /** Waits until the rollout is Progressing at `weight`% or more. */
  async waitForWeight(weight: number, timeoutMs = 60_000): Promise<void> {
    let status: Canary['status'];
    await waitFor(
      `the Canary to reach ${weight}%`,
      async () => {
        status = (await this.readCanary()).status;
        return status?.phase === 'Progressing' && (status.canaryWeight ?? 0) >= weight;
      },
      { timeoutMs, intervalMs: 50, describe: () => JSON.stringify(status) },
    );
  }

  async patchCanary(patch: object): Promise<void> {
    await this.custom.patchNamespacedCustomObject(
      { group: 'sluice.dev', version: 'v1alpha1', namespace: this.namespace, plural: 'canaries', name: APP, body: patch },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
  }

  /** Every change of phase, weight or message seen since `since` (epoch ms), polled every 100 ms. */
  statusSince(since: number): StatusObservation[] {
    return this.observations.filter((o) => o.at >= since);
  }

  private async pollStatus(): Promise<void> {
    let last = '';
    // Bounded by the environment's life: stop() ends it.
    while (this.polling) {
      try {
        const status = (await this.readCanary()).status;
        const key = `${status?.phase}|${status?.canaryWeight}|${status?.conditions?.[0]?.message ?? ''}`;
        if (key !== last) {
          last = key;
          this.observations.push({ at: Date.now(), phase: status?.phase, canaryWeight: status?.canaryWeight ?? 0, message: status?.conditions?.[0]?.message });
        }
      } catch {
        // The API server is busy; the next poll will see the state.
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Waits for `phase`; with `after`, only a rollout of a revision other than `after` counts. */
  async waitForPhase(phase: string, timeoutMs: number, after?: string): Promise<Canary> {
    let last: Canary | undefined;
    await waitFor(
      `the Canary to reach ${phase}`,
      async () => {
        last = await this.readCanary();
        return last.status?.phase === phase && (after === undefined || last.status.lastAppliedSpec !== after);
      },
      {
        timeoutMs,
        intervalMs: 100,
        describe: () => JSON.stringify(last?.status, null, 1) + (this.operator && !this.operator.running ? `\n${this.operator.describeExit()}` : ''),
      },
    );
    return last as Canary;
  }

  /** Runs kubectl-sluice against this namespace. */
  cli(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(repoRoot, 'dist/cli/main.js'), `--kubeconfig=${kubeconfigPath()}`, '-n', this.namespace, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NO_COLOR: '1' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** Event reasons recorded for the Canary. */
  async eventReasons(): Promise<string[]> {
    const events = await this.core.listNamespacedEvent({ namespace: this.namespace, fieldSelector: 'involvedObject.kind=Canary' });
    return events.items.map((e) => e.reason ?? '');
  }

  async stop(): Promise<void> {
    for (const cleanup of this.cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (err) {
        process.stderr.write(`[${this.tag}] cleanup failed: ${(err as Error).message}\n`);
      }
    }
    if (this.namespace) await deleteNamespace(this.namespace);
    if (process.env.SLUICE_KEEP_TEST_DIRS) process.stdout.write(`[${this.tag}] logs kept in ${this.dir}\n`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}
