// One run of the playground: bring the cluster up step by step, deploy the demo app behind a
// Canary, start the clients, roll out a healthy and then a faulty revision, and keep the
// screen's state (steps, Canary, Events, notifications, counters) for the live view. The
// Canary and its Events are watched; a wait re-checks on each change they bring and a few
// times a second besides (for the clients' counters and the clock), and ends at once when
// the user stops the playground.
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { pino, type Logger } from 'pino';
import { CanaryApi, type Watching } from '../cli/canary-api.js';
import type { EventView } from '../cli/event-view.js';
import type { Style } from '../cli/style.js';
import { CANARY, type Canary } from '../crds/index.js';
import { repoRoot } from '../test/harness/binaries.js';
import { PlaygroundCluster } from './cluster.js';
import type { LiveInput, Step } from './live-view.js';
import { podCounts, seconds } from './live-view.js';
import { countersSince, failedRequests, NO_REQUESTS } from './load-counters.js';
import { LoadGenerator } from './load-generator.js';
import type { ReceivedNotification } from './notification-receiver.js';
import type { Timings, RolloutTiming } from './next-steps.js';
import { initialized, rolloutOutcome } from './rollout-outcome.js';
import * as scenario from './scenario.js';

/** The user stopped the playground (Ctrl-C) while a step was under way. */
export class Stopped extends Error {
  constructor() {
    super('stopped');
  }
}

/** Generous bounds: a healthy rollout takes ~30 s and a faulty one ~15 s here. */
const ROLLOUT_TIMEOUT_MS = 180_000;
const SETUP_TIMEOUT_MS = 120_000;
/** A moment to read the screen between the two rollouts. */
const PAUSE_BETWEEN_ROLLOUTS_MS = 3000;
const CLIENT_REQUESTS_PER_SECOND = 40;
/** The operator retries a failed delivery after about a second; a few attempts fit in here. */
const NOTIFICATION_WAIT_MS = 10_000;

export interface SessionOptions {
  dir: string;
  /** Epoch ms the playground started at: all timings count from here. */
  startedAt: number;
  style: Style;
  /** A notification arrived (after the live view has ended, it is printed from here). */
  onNotification?: (n: ReceivedNotification) => void;
}

export class Session {
  readonly cluster: PlaygroundCluster;
  readonly timings: { controlPlaneReady?: number; canaryReady?: number; rollouts: RolloutTiming[] } = { rollouts: [] };
  private readonly log: Logger;
  private readonly steps: Step[];
  private readonly abort = new AbortController();
  private readonly watches: Watching[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly events = new Map<string, EventView>();
  private load: LoadGenerator | undefined;
  private canary: Canary | undefined;
  private rateSamples: { at: number; sent: number }[] = [];
  private rateTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SessionOptions) {
    this.log = pino({ level: 'info', base: { component: 'playground' } }, pino.destination({ dest: join(options.dir, 'playground.log'), sync: true }));
    this.cluster = new PlaygroundCluster(options.dir, (n) => {
      this.changed();
      options.onNotification?.(n);
    });
    this.steps = [
      { label: 'Local Kubernetes control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok)', state: 'pending' },
      { label: "Sluice's CRDs, the operator, the pod runner and a notification receiver", state: 'pending' },
      { label: `Demo app ${scenario.STABLE.version} (2 pods) under load, then a Canary for it`, state: 'pending' },
      ...scenario.ROLLOUTS.map((r, i) => ({ label: rolloutLabel(i, r), state: 'pending' as const })),
    ];
  }

  private elapsed(): number {
    return Date.now() - this.options.startedAt;
  }

  /** The live view's input right now. */
  snapshot(): LiveInput {
    const now = Date.now();
    const first = this.rateSamples[0];
    const last = this.rateSamples.at(-1);
    const loadRate = first && last && last.at > first.at ? ((last.sent - first.sent) * 1000) / (last.at - first.at) : 0;
    return {
      now,
      startedAt: this.options.startedAt,
      steps: this.steps.map((s) => ({ ...s })),
      canary: this.canary,
      events: [...this.events.values()],
      notifications: this.cluster.receiver.all(),
      load: this.load?.counters() ?? NO_REQUESTS,
      loadRate,
      pods: podCounts((this.cluster.runner?.pods() ?? []).filter((p) => p.namespace === scenario.NAMESPACE)),
      style: this.options.style,
    };
  }

  get kubeconfigPath(): string | undefined {
    return this.cluster.plane?.kubeconfigPath;
  }

  /** Ends every wait at once; run() then throws Stopped. */
  requestStop(): void {
    this.abort.abort();
    for (const wake of this.waiters) wake();
  }

  get stopping(): boolean {
    return this.abort.signal.aborted;
  }

  /** Problems with the cluster's components, for the screen (empty when all is well). */
  crashed(): string[] {
    return this.cluster.crashed();
  }

  private setStep(index: number, state: Step['state'], detail?: string): void {
    const step = this.steps[index];
    if (!step) return;
    step.state = state;
    if (detail === undefined) delete step.detail;
    else step.detail = detail;
  }

  private checkStopped(): void {
    if (this.stopping) throw new Stopped();
  }

  /** Waits until `ready()` holds, re-checking on every watched change; bounded by `timeoutMs`. */
  private async until(what: string, ready: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      this.checkStopped();
      const crashed = this.crashed();
      if (crashed.length > 0) throw new Error(`a component died while waiting for ${what}:\n${crashed.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${seconds(timeoutMs)} waiting for ${what}`);
      // Woken by a change, or a few times a second for the clients' counters, the clock and the components.
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, 250);
        this.waiters.add(wake);
      });
    }
    this.checkStopped();
  }

  /** Something a wait may be waiting for changed: re-check now. */
  private changed(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /** The whole scenario; returns once both rollouts are over (whatever their outcome). */
  async run(): Promise<Timings> {
    this.setStep(0, 'running');
    const plane = await this.cluster.startControlPlane();
    this.timings.controlPlaneReady = this.elapsed();
    this.setStep(0, 'done', `ready at ${seconds(this.timings.controlPlaneReady)}`);
    this.checkStopped();

    this.setStep(1, 'running');
    const stepStarted = Date.now();
    await this.cluster.installCrds();
    const receiverUrl = await this.cluster.startReceiver();
    const operator = await this.cluster.startOperator();
    await this.cluster.startPodRunner();
    this.setStep(1, 'done', `in ${seconds(Date.now() - stepStarted)}; operator pid ${operator.pid ?? '?'}`);
    this.checkStopped();

    this.setStep(2, 'running');
    const config = plane.kubeConfig();
    const core = config.makeApiClient(k8s.CoreV1Api);
    const apps = config.makeApiClient(k8s.AppsV1Api);
    const custom = config.makeApiClient(k8s.CustomObjectsApi);
    const namespace = scenario.NAMESPACE;
    await core.createNamespacedService({ namespace, body: scenario.service() });
    await apps.createNamespacedDeployment({ namespace, body: scenario.deployment(scenario.STABLE) });
    await core.createNamespacedSecret({ namespace, body: scenario.alertSecret(receiverUrl) });
    const group = { group: CANARY.group, version: CANARY.version, namespace };
    await custom.createNamespacedCustomObject({ ...group, plural: 'alertproviders', body: scenario.alertProvider() });

    // Clients call the Service from the start, as they would before anyone thought of a Canary.
    this.load = new LoadGenerator({ kubeConfig: config, namespace, service: scenario.APP, portName: 'http', requestsPerSecond: CLIENT_REQUESTS_PER_SECOND, log: this.log });
    // Deployments are not watched here; a glance twice a second is enough for one step.
    let available = false;
    const deploymentReady = async (): Promise<boolean> => {
      const d = await apps.readNamespacedDeployment({ name: scenario.APP, namespace });
      return (d.status?.availableReplicas ?? 0) >= 2;
    };
    const pollAvailable = setInterval(() => {
      deploymentReady().then(
        (ok) => {
          available ||= ok;
          if (ok) this.changed();
        },
        // A failed read is retried at the next glance; until() reports a timeout.
        () => undefined,
      );
    }, 500);
    try {
      await this.until(`the ${scenario.STABLE.version} pods to be available`, () => available, SETUP_TIMEOUT_MS);
    } finally {
      clearInterval(pollAvailable);
    }
    await this.load.start();
    this.rateTimer = setInterval(() => {
      this.rateSamples = [...this.rateSamples, { at: Date.now(), sent: this.load?.counters().sent ?? 0 }].slice(-6);
    }, 1000);

    const api = new CanaryApi({ kubeConfig: config, context: config.getCurrentContext(), server: plane.info.apiServerUrl, namespace }, this.log);
    this.watches.push(
      api.watchCanary(namespace, scenario.APP, {
        onChange: (canary) => {
          this.canary = canary;
          this.changed();
        },
      }),
    );
    const created = (await custom.createNamespacedCustomObject({ ...group, plural: CANARY.plural, body: scenario.canary() })) as Canary;
    this.watches.push(
      api.watchEvents(created, {
        onChange: (event) => {
          this.events.set(event.uid, event);
          this.changed();
        },
        onEventDeleted: (event) => {
          this.events.delete(event.uid);
          this.changed();
        },
      }),
    );
    await this.until('the Canary to initialize', () => initialized(this.canary), SETUP_TIMEOUT_MS);
    // The Service's endpoints are now the waypoint's proxies on their listener port (no
    // longer the app's port), and clients must be getting answers through them before the
    // first rollout starts: its failure count is about the rollout, not the takeover.
    const load = this.load;
    const okAt = (): number => Object.values(load.counters().ok).reduce((a, b) => a + b, 0);
    let answeredBefore = Number.POSITIVE_INFINITY;
    await this.until(
      'the clients to be served through the waypoint',
      () => {
        const throughWaypoint = load.endpoints().length > 0 && load.endpoints().every((e) => e.port !== scenario.APP_PORT);
        if (!throughWaypoint) answeredBefore = Number.POSITIVE_INFINITY;
        else if (answeredBefore === Number.POSITIVE_INFINITY) answeredBefore = okAt();
        return okAt() >= answeredBefore + 5;
      },
      SETUP_TIMEOUT_MS,
    );
    this.timings.canaryReady = this.elapsed();
    this.setStep(2, 'done', `the Canary took the Service over at ${seconds(this.timings.canaryReady)}`);

    for (const [i, revision] of scenario.ROLLOUTS.entries()) {
      if (i > 0) await this.pause(PAUSE_BETWEEN_ROLLOUTS_MS);
      await this.rollOut(i, revision, apps);
    }
    return this.timings;
  }

  private async pause(ms: number): Promise<void> {
    const until = Date.now() + ms;
    await this.until('the pause between the rollouts', () => Date.now() >= until, ms + 1000);
  }

  private async rollOut(index: number, revision: scenario.Revision, apps: k8s.AppsV1Api): Promise<void> {
    const step = 3 + index;
    const label = rolloutLabel(index, revision);
    const before = this.canary?.status?.lastAppliedSpec;
    const loadBefore = this.load?.counters() ?? NO_REQUESTS;
    const startedAt = this.elapsed();
    this.setStep(step, 'running', `${scenario.APP}'s pod template now has VERSION=${revision.version}${revision.errorRate > 0 ? ` ERROR_RATE=${revision.errorRate}` : ''}`);
    await apps.patchNamespacedDeployment(
      { name: scenario.APP, namespace: scenario.NAMESPACE, body: { spec: { template: scenario.podTemplate(revision) } }, fieldManager: 'sluice-playground' },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    let outcome: RolloutTiming['outcome'];
    try {
      await this.until(`${label} to end`, () => rolloutOutcome(this.canary, before) !== 'pending', ROLLOUT_TIMEOUT_MS);
      outcome = rolloutOutcome(this.canary, before);
    } catch (err) {
      if (err instanceof Stopped || !(err instanceof Error) || !err.message.startsWith('timed out')) throw err;
      outcome = 'timed out';
    }
    const endedAt = this.elapsed();
    const during = countersSince(this.load?.counters() ?? NO_REQUESTS, loadBefore);
    const failed = failedRequests(during);
    const notified = await this.notified(outcome);
    this.timings.rollouts.push({ label, expected: revision.expected, outcome, startedAt, endedAt, requests: during.sent, failed, notified });
    const detail = `${outcome} after ${seconds(endedAt - startedAt)} (at ${seconds(endedAt)}); ${failed === 0 ? 'no failed requests' : `${failed} of ${during.sent} requests failed`}`;
    this.setStep(step, outcome === revision.expected ? 'done' : 'failed', outcome === revision.expected ? detail : `${detail}; expected: ${revision.expected}`);
  }

  /**
   * Waits a little for the notification that ends the rollout (deliveries are asynchronous
   * and retried), so that the screen shows it before the next step; false if it never came.
   */
  private async notified(outcome: RolloutTiming['outcome']): Promise<boolean> {
    const reason = outcome === 'promoted' ? 'Promoted' : outcome === 'rolled back' ? 'RolledBack' : undefined;
    const revision = this.canary?.status?.lastAppliedSpec;
    if (reason === undefined) return false;
    const arrived = (): boolean => this.cluster.receiver.all().some((n) => n.event === reason && (n.revision === undefined || n.revision === revision));
    try {
      await this.until(`the ${reason} notification`, arrived, NOTIFICATION_WAIT_MS);
      return true;
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('timed out')) return false;
      throw err;
    }
  }

  /** Stops the clients and the watches, then the cluster; `report` hears each step. */
  async stop(report: (line: string) => void, keepLogs: boolean): Promise<string | undefined> {
    this.requestStop();
    clearInterval(this.rateTimer);
    if (this.load) {
      report('stopping the clients');
      await this.load.stop();
    }
    await Promise.all(this.watches.splice(0).map((w) => w.stop()));
    const controlPlaneLogs = await this.cluster.stop(report, keepLogs);
    this.log.flush();
    return controlPlaneLogs;
  }

  /** The clients' counters in one line, for the end of the run. */
  clientTotals(): string {
    const c = this.load?.counters() ?? NO_REQUESTS;
    return `${c.sent} requests sent, ${failedRequests(c)} failed`;
  }

  get cliPath(): string {
    return join(repoRoot, 'dist/cli/main.js');
  }
}

export function rolloutLabel(index: number, revision: scenario.Revision): string {
  return `Rollout ${index + 1}: ${revision.version}, ${revision.label}`;
}
