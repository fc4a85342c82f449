// Records Kubernetes Events (core/v1, the kind `kubectl describe` and `kubectl get events`
// show) about the objects the operator manages, aggregated by EventAggregator so that a
// failing loop cannot flood the API server. Recording never throws and never blocks the
// caller: writes go through one ordered queue in the background (so an Event is always created
// before its count is bumped), and when the API server is unreachable and the queue is full,
// new writes are dropped and counted.
import { randomBytes } from 'node:crypto';
import { CoreV1Api, PatchStrategy, setHeaderOptions, type CoreV1Event, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { systemClock, type Clock } from './clock.js';
import { DEFAULT_AGGREGATOR_OPTIONS, EventAggregator, type AggregatorOptions, type EventWrite } from './event-aggregator.js';
import { describeError, isNotFound } from './kube-errors.js';
import type { RuntimeMetrics } from './metrics.js';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  kubeConfig: KubeConfig;
  /** Reporting component, e.g. "sluice-operator". */
  component: string;
  /** This process (pod name). */
  instance: string;
  log: Logger;
  metrics?: RuntimeMetrics;
  clock?: Clock;
  aggregation?: Partial<AggregatorOptions>;
  /** Writes waiting at most; further ones are dropped. Default 1000. */
  maxPendingWrites?: number;
}

export interface EventRecord {
  type: EventType;
  /** UpperCamelCase and specific: "BackendServiceMissing", not "Error". */
  reason: string;
  message: string;
  /** What the operator did or failed to do, e.g. "Reconcile", "Promote". */
  action?: string;
}

const MAX_MESSAGE_LENGTH = 1024;

export class EventRecorder {
  private readonly api: CoreV1Api;
  private readonly aggregator: EventAggregator;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly maxPending: number;
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(private readonly options: EventRecorderOptions) {
    this.api = options.kubeConfig.makeApiClient(CoreV1Api);
    this.aggregator = new EventAggregator({ ...DEFAULT_AGGREGATOR_OPTIONS, ...options.aggregation });
    this.clock = options.clock ?? systemClock;
    this.log = options.log.child({ component: 'events' });
    this.maxPending = options.maxPendingWrites ?? 1000;
  }

  normal(obj: KubernetesObject, reason: string, message: string, action?: string): void {
    this.record(obj, { type: 'Normal', reason, message, action });
  }

  warning(obj: KubernetesObject, reason: string, message: string, action?: string): void {
    this.record(obj, { type: 'Warning', reason, message, action });
  }

  record(obj: KubernetesObject, event: EventRecord): void {
    const meta = obj.metadata ?? {};
    const namespace = meta.namespace || 'default';
    const message = event.message.length > MAX_MESSAGE_LENGTH ? `${event.message.slice(0, MAX_MESSAGE_LENGTH - 3)}...` : event.message;
    const key = [obj.kind, namespace, meta.name, meta.uid ?? '', event.type, event.reason, message].join('\u0000');
    const now = this.clock.now();
    const decision = this.aggregator.record(key, now, () => `${meta.name ?? 'object'}.${now.toString(16)}${randomBytes(4).toString('hex')}`);
    const counter = (action: string): void => this.options.metrics?.eventsRecorded.inc({ type: event.type, reason: event.reason, action });
    switch (decision.action) {
      case 'create':
        counter('create');
        this.enqueue(() => this.create(obj, namespace, { ...event, message }, decision.write));
        return;
      case 'update':
        counter('aggregate');
        this.enqueue(() => this.update(obj, namespace, { ...event, message }, decision.write, key));
        return;
      case 'schedule':
        counter('suppressed');
        this.clock.setTimer(() => {
          const write = this.aggregator.flush(key, this.clock.now());
          if (write) this.enqueue(() => this.update(obj, namespace, { ...event, message }, write, key));
        }, decision.at - now);
        return;
      case 'none':
        counter('suppressed');
        return;
    }
  }

  /** Resolves when every write queued so far is done (tests, shutdown). */
  flush(): Promise<void> {
    return this.chain;
  }

  private enqueue(write: () => Promise<void>): void {
    if (this.pending >= this.maxPending) {
      this.options.metrics?.eventsRecorded.inc({ type: 'Unknown', reason: 'Unknown', action: 'dropped' });
      return;
    }
    this.pending += 1;
    this.chain = this.chain.then(async () => {
      try {
        await write();
      } catch (err) {
        this.log.warn({ reason: describeError(err) }, 'cannot write Event');
      } finally {
        this.pending -= 1;
      }
    });
  }

  private async create(obj: KubernetesObject, namespace: string, event: EventRecord, write: EventWrite): Promise<void> {
    await this.api.createNamespacedEvent({ namespace, body: this.body(obj, namespace, event, write) });
  }

  private async update(obj: KubernetesObject, namespace: string, event: EventRecord, write: EventWrite, key: string): Promise<void> {
    try {
      await this.api.patchNamespacedEvent(
        {
          name: write.name,
          namespace,
          body: { count: write.count, lastTimestamp: new Date(write.lastAt).toISOString() },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
      // The Event expired (the API server keeps them about an hour): start a new one.
      const name = `${obj.metadata?.name ?? 'object'}.${write.lastAt.toString(16)}${randomBytes(4).toString('hex')}`;
      this.aggregator.renamed(key, name);
      await this.api.createNamespacedEvent({ namespace, body: this.body(obj, namespace, event, { ...write, name }) });
    }
  }

  private body(obj: KubernetesObject, namespace: string, event: EventRecord, write: EventWrite): CoreV1Event {
    const meta = obj.metadata ?? {};
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: write.name, namespace },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: meta.name,
        namespace: meta.namespace,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
      },
      type: event.type,
      reason: event.reason,
      message: event.message,
      action: event.action,
      count: write.count,
      firstTimestamp: new Date(write.firstAt),
      lastTimestamp: new Date(write.lastAt),
      source: { component: this.options.component },
      reportingComponent: this.options.component,
      reportingInstance: this.options.instance,
    };
  }
}
