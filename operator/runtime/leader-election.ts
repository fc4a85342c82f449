// Lease-based leader election (coordination.k8s.io/v1): one replica leads and runs the
// controllers, the others stand by with warm caches.
//
// Candidates watch the Lease (a field-selected informer), so they see every renewal the
// moment it happens and know, to within milliseconds, when the lease will expire; they try
// to take it at that instant (and every retryPeriod regardless). Default timings: lease 14 s,
// renew deadline 10 s, retry 2 s. A leader that dies without releasing (SIGKILL) is replaced
// at most leaseDuration after its last renewal, i.e. within 14 s. A leader that cannot renew
// for renewDeadline stops leading (its controllers are stopped) well before anyone else may
// take over. A leader that stops gracefully releases the lease and a standby takes over at once.
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { Informer } from './informer.js';
import { describeError, isAlreadyExists, isConflict, isNotFound } from './kube-errors.js';
import {
  decideLease,
  expiresAt,
  observe,
  releasedRecord,
  validateTiming,
  type LeaseRecord,
  type Observation,
} from './lease-decision.js';
import type { RuntimeMetrics } from './metrics.js';
import { Resources } from './resource-type.js';

export interface LeaderElectionOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /** Name of the Lease object. */
  name: string;
  /** Unique per process (pod name, or host and pid). */
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Called when this process becomes leader. Must not block for long. */
  onStartedLeading: () => void | Promise<void>;
  /** Called when this process stops leading (lost, or stop()). Awaited before the lease is released. */
  onStoppedLeading: () => void | Promise<void>;
  /**
   * Release the lease on stop() so that a standby takes over at once. Default true; false
   * leaves it to expire, as if the process had died.
   */
  releaseOnStop?: boolean;
  /** Called when the observed holder changes (including to this process, or to nobody: ""). */
  onNewLeader?: (identity: string) => void;
  log: Logger;
  metrics?: RuntimeMetrics;
  clock?: Clock;
}

export const DEFAULT_LEADER_ELECTION_TIMING = { leaseDurationMs: 14_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

type AttemptResult = 'acquired' | 'renewed' | 'held' | 'failed';

export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly timing: typeof DEFAULT_LEADER_ELECTION_TIMING;
  private readonly leaseInformer: Informer<V1Lease>;
  private observation: Observation | undefined;
  private observedHolder: string | undefined;
  private leading = false;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private lastRenewAt = 0;

  constructor(private readonly options: LeaderElectionOptions) {
    this.timing = {
      leaseDurationMs: options.leaseDurationMs ?? DEFAULT_LEADER_ELECTION_TIMING.leaseDurationMs,
      renewDeadlineMs: options.renewDeadlineMs ?? DEFAULT_LEADER_ELECTION_TIMING.renewDeadlineMs,
      retryPeriodMs: options.retryPeriodMs ?? DEFAULT_LEADER_ELECTION_TIMING.retryPeriodMs,
    };
    validateTiming(this.timing);
    this.api = options.kubeConfig.makeApiClient(CoordinationV1Api);
    this.clock = options.clock ?? systemClock;
    this.log = options.log.child({ lease: `${options.namespace}/${options.name}`, identity: options.identity });
    this.leaseInformer = new Informer<V1Lease>(options.kubeConfig, {
      resource: Resources.Lease,
      namespace: options.namespace,
      fieldSelector: `metadata.name=${options.name}`,
      resyncPeriodMs: 0,
      log: this.log,
      metrics: options.metrics,
      clock: this.clock,
    });
    this.leaseInformer.addHandler({
      onAdd: (lease) => this.onLeaseSeen(lease),
      onUpdate: (_old, lease) => this.onLeaseSeen(lease),
      onDelete: () => this.wakeUp(),
    });
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** The holder as last observed ("" when released, undefined before the first look). */
  get leader(): string | undefined {
    return this.observedHolder;
  }

  get identity(): string {
    return this.options.identity;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.leaseInformer.start();
    this.loop = this.run();
  }

  /** Stops campaigning; a leader stops leading (awaiting onStoppedLeading) and releases the lease. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wakeUp();
    await this.loop;
    await this.leaseInformer.stop();
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (!this.leading) {
        const result = await this.attempt();
        if (!this.running) break;
        if (result === 'acquired' || result === 'renewed') {
          await this.becomeLeader();
          continue;
        }
        await this.pause(this.candidateDelay());
        continue;
      }
      await this.pause(this.timing.retryPeriodMs);
      if (!this.running) break;
      const remaining = this.timing.renewDeadlineMs - (this.clock.now() - this.lastRenewAt);
      const result = await withTimeout(this.clock, this.attempt(), Math.max(0, remaining), 'failed' as const);
      if (result === 'renewed' || result === 'acquired') {
        this.lastRenewAt = this.clock.now();
        continue;
      }
      if (result === 'held' || this.clock.now() - this.lastRenewAt >= this.timing.renewDeadlineMs) {
        this.log.error({ result, sinceLastRenewMs: this.clock.now() - this.lastRenewAt }, 'leadership lost');
        await this.stopLeading('lost');
      }
    }
    if (this.leading) {
      await this.stopLeading('released');
      if (this.options.releaseOnStop !== false) await this.release();
    }
  }

  private async becomeLeader(): Promise<void> {
    this.leading = true;
    this.lastRenewAt = this.clock.now();
    this.options.metrics?.leader.set({ lease: this.options.name }, 1);
    this.options.metrics?.leaderTransitions.inc({ lease: this.options.name, event: 'acquired' });
    this.log.info('became leader');
    try {
      await this.options.onStartedLeading();
    } catch (err) {
      this.log.error({ reason: describeError(err) }, 'onStartedLeading failed');
    }
  }

  private async stopLeading(event: 'lost' | 'released'): Promise<void> {
    this.leading = false;
    this.options.metrics?.leader.set({ lease: this.options.name }, 0);
    this.options.metrics?.leaderTransitions.inc({ lease: this.options.name, event });
    try {
      await this.options.onStoppedLeading();
    } catch (err) {
      this.log.error({ reason: describeError(err) }, 'onStoppedLeading failed');
    }
  }

  /** One read-decide-write round. */
  private async attempt(): Promise<AttemptResult> {
    const { namespace, name, identity } = this.options;
    const leaseDurationSeconds = this.timing.leaseDurationMs / 1000;
    let lease: V1Lease | undefined;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (!isNotFound(err)) {
        this.log.warn({ reason: describeError(err) }, 'cannot read the lease');
        return 'failed';
      }
    }
    const current = lease ? recordOf(lease) : undefined;
    if (current) this.noteObservation(current);
    const decision = decideLease({ current, observation: this.observation, identity, now: this.clock.now(), leaseDurationSeconds });
    try {
      if (decision.action === 'wait') return 'held';
      if (decision.action === 'create') {
        await this.api.createNamespacedLease({ namespace, body: leaseBody(name, namespace, decision.record) });
        this.noteObservation(decision.record);
        return 'acquired';
      }
      await this.api.replaceNamespacedLease({
        name,
        namespace,
        body: leaseBody(name, namespace, decision.record, lease?.metadata?.resourceVersion),
      });
      this.noteObservation(decision.record);
      if (decision.acquired) this.log.info({ previous: current?.holderIdentity || undefined }, 'took over the lease');
      return decision.acquired ? 'acquired' : 'renewed';
    } catch (err) {
      if (isConflict(err) || isAlreadyExists(err)) {
        this.log.debug('lost a race for the lease (conflict)');
        return 'failed';
      }
      this.log.warn({ reason: describeError(err) }, 'cannot write the lease');
      return 'failed';
    }
  }

  private async release(): Promise<void> {
    const { namespace, name, identity } = this.options;
    try {
      const lease = await this.api.readNamespacedLease({ name, namespace });
      const current = recordOf(lease);
      if (current.holderIdentity !== identity) return;
      await this.api.replaceNamespacedLease({
        name,
        namespace,
        body: leaseBody(name, namespace, releasedRecord(current, this.clock.now()), lease.metadata?.resourceVersion),
      });
      this.log.info('released the lease');
    } catch (err) {
      this.log.warn({ reason: describeError(err) }, 'cannot release the lease; a standby takes over when it expires');
    }
  }

  private onLeaseSeen(lease: V1Lease): void {
    this.noteObservation(recordOf(lease));
    this.wakeUp();
  }

  private noteObservation(record: LeaseRecord): void {
    const previousHolder = this.observedHolder;
    this.observation = observe(this.observation, record, this.clock.now());
    this.observedHolder = record.holderIdentity;
    if (previousHolder !== record.holderIdentity) {
      this.log.info({ holder: record.holderIdentity || null }, 'lease holder changed');
      this.options.onNewLeader?.(record.holderIdentity);
    }
  }

  /** How long a candidate waits: until the observed lease expires, at most one retry period. */
  private candidateDelay(): number {
    const jittered = this.timing.retryPeriodMs * (1 + 0.2 * Math.random());
    const observation = this.observation;
    if (!observation || observation.record.holderIdentity === '') return jittered;
    const untilExpiry = expiresAt(observation) - this.clock.now();
    return Math.max(0, Math.min(jittered, untilExpiry + 1));
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined = undefined;
      const done = (): void => {
        timer?.cancel();
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      timer = this.clock.setTimer(done, ms);
      this.wake = done;
    });
  }

  /** Ends a candidate's pause early (the lease changed or we are stopping). A leader keeps its renew rhythm. */
  private wakeUp(): void {
    if (this.leading && this.running) return;
    this.wake?.();
  }
}

function recordOf(lease: V1Lease): LeaseRecord {
  const spec = lease.spec ?? {};
  return {
    holderIdentity: spec.holderIdentity ?? '',
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
    acquireTime: isoOf(spec.acquireTime),
    renewTime: isoOf(spec.renewTime),
    leaseTransitions: spec.leaseTransitions ?? 0,
  };
}

/** MicroTime fields arrive as strings (the client does not parse them) but are typed as Date. */
function isoOf(value: unknown): string | undefined {
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function leaseBody(name: string, namespace: string, record: LeaseRecord, resourceVersion?: string): V1Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, ...(resourceVersion ? { resourceVersion } : {}) },
    spec: {
      holderIdentity: record.holderIdentity || undefined,
      leaseDurationSeconds: record.leaseDurationSeconds,
      // MicroTime must be written with exactly six fractional digits.
      acquireTime: record.acquireTime ? new V1MicroTime(record.acquireTime) : undefined,
      renewTime: record.renewTime ? new V1MicroTime(record.renewTime) : undefined,
      leaseTransitions: record.leaseTransitions,
    },
  };
}

function withTimeout<T, F>(clock: Clock, promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  return new Promise((resolve) => {
    const timer = clock.setTimer(() => resolve(fallback), ms);
    promise.then(
      (value) => {
        timer.cancel();
        resolve(value);
      },
      () => {
        timer.cancel();
        resolve(fallback);
      },
    );
  });
}
