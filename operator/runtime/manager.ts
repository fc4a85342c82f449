// Ties the runtime together, in the manner of controller-runtime's Manager: shared informers
// (one list+watch per resource and scope, however many controllers use it), controllers, the
// Event recorder and leader election. Informers run on every replica so that a standby is
// ready with warm caches; controllers (and any leader hooks, such as the config server) run
// only on the leader, and are stopped the moment leadership is lost.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Clock } from './clock.js';
import { Controller, type ControllerOptions } from './controller.js';
import { EventRecorder } from './event-recorder.js';
import type { AggregatorOptions } from './event-aggregator.js';
import { Informer, type InformerOptions } from './informer.js';
import { LeaderElector } from './leader-election.js';
import { describeError } from './kube-errors.js';
import { runtimeMetrics, type RuntimeMetrics } from './metrics.js';
import type { IndexFunction } from './object-store.js';
import { resourceName, type ResourceType } from './resource-type.js';

export interface LeaderElectionConfig {
  namespace: string;
  /** Lease name. */
  name: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface ManagerOptions {
  kubeConfig: KubeConfig;
  log: Logger;
  registry: Registry;
  /** Unique per process: the pod name in a cluster. */
  identity: string;
  /** Namespace informers watch by default; empty: all namespaces. */
  watchNamespace?: string;
  /** Absent: this process always leads (single replica, tests). */
  leaderElection?: LeaderElectionConfig;
  /** Default resync period of informers. */
  resyncPeriodMs?: number;
  /** Reporting component of Events. Default "sluice-operator". */
  component?: string;
  eventAggregation?: Partial<AggregatorOptions>;
  clock?: Clock;
}

export interface InformerRequest<T extends KubernetesObject> {
  /** Overrides the manager's watch namespace; "" for all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resyncPeriodMs?: number;
  indexers?: Record<string, IndexFunction<T>>;
}

export interface LeaderHooks {
  /** Runs after the controllers have started. */
  onStartedLeading?: () => void | Promise<void>;
  /** Runs before the controllers stop. */
  onStoppedLeading?: () => void | Promise<void>;
}

export type ControllerSpec = Omit<ControllerOptions, 'log' | 'metrics' | 'clock'>;

export class Manager {
  readonly metrics: RuntimeMetrics;
  readonly recorder: EventRecorder;
  readonly log: Logger;
  private readonly informers = new Map<string, Informer<KubernetesObject>>();
  private readonly controllers: Controller[] = [];
  private readonly hooks: LeaderHooks[] = [];
  private readonly elector: LeaderElector | undefined;
  private started = false;
  private leading = false;
  /** Controllers and hooks are running (leading and caches synced). */
  private active = false;
  private leadership = new AbortController();
  private transition: Promise<void> = Promise.resolve();

  constructor(private readonly options: ManagerOptions) {
    this.log = options.log;
    this.metrics = runtimeMetrics(options.registry);
    this.recorder = new EventRecorder({
      kubeConfig: options.kubeConfig,
      component: options.component ?? 'sluice-operator',
      instance: options.identity,
      log: options.log,
      metrics: this.metrics,
      clock: options.clock,
      aggregation: options.eventAggregation,
    });
    if (options.leaderElection) {
      const le = options.leaderElection;
      this.elector = new LeaderElector({
        kubeConfig: options.kubeConfig,
        namespace: le.namespace,
        name: le.name,
        identity: options.identity,
        leaseDurationMs: le.leaseDurationMs,
        renewDeadlineMs: le.renewDeadlineMs,
        retryPeriodMs: le.retryPeriodMs,
        onStartedLeading: () => this.serialize(() => this.startLeading()),
        onStoppedLeading: () => {
          // Abort at once: a term still waiting for caches must not start controllers.
          this.leadership.abort();
          return this.serialize(() => this.stopLeading());
        },
        log: options.log,
        metrics: this.metrics,
        clock: options.clock,
      });
    }
  }

  get kubeConfig(): KubeConfig {
    return this.options.kubeConfig;
  }

  get identity(): string {
    return this.options.identity;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** The current leader's identity as last observed (this process when leading without election). */
  get leader(): string | undefined {
    return this.elector ? this.elector.leader : this.leading ? this.options.identity : undefined;
  }

  /**
   * The shared informer for `resource` in the given scope, created on first request. Indexers
   * given by later callers are added to the existing informer.
   */
  informer<T extends KubernetesObject>(resource: ResourceType<T>, request: InformerRequest<T> = {}): Informer<T> {
    const namespace = resource.namespaced ? (request.namespace ?? this.options.watchNamespace ?? '') : '';
    const id = [resourceName(resource), namespace, request.labelSelector ?? '', request.fieldSelector ?? ''].join('|');
    let informer = this.informers.get(id) as Informer<T> | undefined;
    if (!informer) {
      const options: InformerOptions<T> = {
        resource,
        namespace,
        labelSelector: request.labelSelector,
        fieldSelector: request.fieldSelector,
        resyncPeriodMs: request.resyncPeriodMs ?? this.options.resyncPeriodMs,
        log: this.log,
        metrics: this.metrics,
        clock: this.options.clock,
      };
      informer = new Informer<T>(this.options.kubeConfig, options);
      this.informers.set(id, informer as unknown as Informer<KubernetesObject>);
      if (this.started) informer.start();
    }
    for (const [name, fn] of Object.entries(request.indexers ?? {})) informer.addIndexer(name, fn);
    return informer;
  }

  /** Registers a controller; it runs while this process leads. */
  addController(spec: ControllerSpec): Controller {
    const controller = new Controller({ ...spec, log: this.log, metrics: this.metrics, clock: this.options.clock });
    this.controllers.push(controller);
    if (this.active) controller.start();
    return controller;
  }

  /** Runs `hooks` as leadership starts and stops (e.g. serving the config server only on the leader). */
  addLeaderHooks(hooks: LeaderHooks): void {
    this.hooks.push(hooks);
  }

  /** Undefined when every informer has synced; otherwise which have not. For /readyz. */
  readiness(): string | undefined {
    const waiting = [...this.informers.values()].filter((i) => !i.synced).map((i) => resourceName(i.resource));
    if (!this.started) return 'not started';
    return waiting.length === 0 ? undefined : `informers not synced: ${waiting.join(', ')}`;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const informer of this.informers.values()) informer.start();
    if (this.elector) this.elector.start();
    else await this.serialize(() => this.startLeading());
  }

  /** Stops controllers (releasing the lease if held), then informers; flushes Events. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    if (this.elector) await this.elector.stop();
    else await this.serialize(() => this.stopLeading());
    await this.transition;
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
    await this.recorder.flush();
  }

  /** Waits until every informer has synced (false if stopped or aborted first). */
  async waitForCacheSync(signal?: AbortSignal): Promise<boolean> {
    const results = await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
    return results.every(Boolean);
  }

  /** Leadership changes run one after another, never interleaved. */
  private serialize(step: () => Promise<void>): Promise<void> {
    this.transition = this.transition.then(step, step);
    return this.transition;
  }

  private async startLeading(): Promise<void> {
    this.leadership = new AbortController();
    const signal = this.leadership.signal;
    this.leading = true;
    // Controllers read caches: do not let them act on a half-filled one.
    const synced = await this.waitForCacheSync(signal);
    if (!synced || signal.aborted) return;
    this.active = true;
    for (const controller of this.controllers) controller.start();
    for (const hook of this.hooks) {
      try {
        await hook.onStartedLeading?.();
      } catch (err) {
        this.log.error({ reason: describeError(err) }, 'leader hook failed to start');
      }
    }
  }

  private async stopLeading(): Promise<void> {
    this.leading = false;
    this.leadership.abort();
    if (!this.active) return;
    this.active = false;
    for (const hook of [...this.hooks].reverse()) {
      try {
        await hook.onStoppedLeading?.();
      } catch (err) {
        this.log.error({ reason: describeError(err) }, 'leader hook failed to stop');
      }
    }
    await Promise.all(this.controllers.map((c) => c.stop()));
  }
}
