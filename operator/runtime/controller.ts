// A level-triggered controller: watch sources turn object changes into keys, a work queue
// serializes them per key, and workers call `reconcile(key)` which reads the current state
// from informer caches and makes the world match it. A failure re-queues the key with
// exponential back-off; `requeueAfterMs` schedules the next look (timers).
//
// Controllers are started and stopped by the Manager as leadership comes and goes; each start
// gets a fresh queue and re-enqueues every object of its watch sources, so nothing depends on
// events seen during an earlier term.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { BackoffPolicy } from './backoff.js';
import type { Clock } from './clock.js';
import type { Informer } from './informer.js';
import { describeError } from './kube-errors.js';
import type { RuntimeMetrics } from './metrics.js';
import { keyOf, objectKey, parseKey, type ObjectKey } from './object-store.js';
import { WorkQueue } from './work-queue.js';

export interface ReconcileRequest extends ObjectKey {
  /** "namespace/name" (or "name" for cluster-scoped objects). */
  key: string;
}

export interface ReconcileContext {
  /** Child logger that carries the object key on every line. */
  log: Logger;
  /** Aborted when the controller stops (leadership lost, shutdown): give up long waits. */
  signal: AbortSignal;
  /** Consecutive failed attempts for this key before this one. */
  retries: number;
}

export interface ReconcileResult {
  /** Look at this key again after this delay, even if nothing changes (timers, polling). */
  requeueAfterMs?: number;
  /** Try again with back-off without counting an error (e.g. waiting for a dependency). */
  requeue?: boolean;
}

export type Reconciler = (request: ReconcileRequest, context: ReconcileContext) => Promise<ReconcileResult | void>;

/** A source of keys for a controller; build with `watch()`. */
export interface WatchSource {
  readonly description: string;
  /** Starts delivering keys; returns the function that stops it. */
  subscribe(enqueue: (key: string) => void): () => void;
}

export type KeyMapper<T> = (obj: T) => Iterable<string | ObjectKey> | undefined;

/**
 * Keys from an informer. Without `map`, each object enqueues its own key. With `map`, an
 * object enqueues the keys it returns (an EndpointSlice enqueues the MeshRoutes that use its
 * Service); on update both the old and the new object are mapped, so that a route that no
 * longer matches also hears about it.
 */
export function watch<T extends KubernetesObject>(informer: Informer<T>, map?: KeyMapper<T>): WatchSource {
  const keysOf = (obj: T): string[] => {
    if (!map) return [objectKey(obj)];
    const keys: string[] = [];
    for (const ref of map(obj) ?? []) keys.push(typeof ref === 'string' ? ref : keyOf(ref));
    return keys;
  };
  return {
    description: `${informer.resource.kind}${map ? ' (mapped)' : ''}`,
    subscribe(enqueue) {
      const each = (obj: T): void => {
        for (const key of keysOf(obj)) enqueue(key);
      };
      return informer.addHandler({
        onAdd: each,
        onUpdate: (old, obj) => {
          if (map && old !== obj) each(old);
          each(obj);
        },
        onDelete: each,
      });
    },
  };
}

export interface ControllerOptions {
  name: string;
  reconcile: Reconciler;
  watches: readonly WatchSource[];
  /** Keys reconciled in parallel (never the same key twice). Default 1. */
  concurrency?: number;
  /** Per-key retry back-off. Default 5 ms doubling to 5 minutes. */
  backoff?: BackoffPolicy;
  log: Logger;
  metrics: RuntimeMetrics;
  clock?: Clock;
}

export class Controller {
  readonly name: string;
  private readonly log: Logger;
  private queue: WorkQueue | undefined;
  private unsubscribers: (() => void)[] = [];
  private workers: Promise<void>[] = [];
  private abort = new AbortController();

  constructor(private readonly options: ControllerOptions) {
    this.name = options.name;
    this.log = options.log.child({ controller: options.name });
  }

  get running(): boolean {
    return this.queue !== undefined && !this.queue.isShuttingDown;
  }

  /** Keys waiting for a worker (0 when stopped). */
  get queueDepth(): number {
    return this.queue?.depth ?? 0;
  }

  /** Queues a key for reconciliation; ignored while the controller is not running (standby). */
  enqueue(ref: string | ObjectKey): void {
    if (!this.running || !this.queue) return;
    this.options.metrics.workqueueAdds.inc({ controller: this.name });
    this.queue.add(typeof ref === 'string' ? ref : keyOf(ref));
  }

  /** Queues a key after a delay; ignored while the controller is not running. */
  enqueueAfter(ref: string | ObjectKey, delayMs: number): void {
    this.queue?.addAfter(typeof ref === 'string' ? ref : keyOf(ref), delayMs);
  }

  start(): void {
    if (this.running) return;
    const { metrics } = this.options;
    metrics.workqueueDepth.set({ controller: this.name }, 0);
    this.abort = new AbortController();
    this.queue = new WorkQueue({
      clock: this.options.clock,
      backoff: this.options.backoff,
      onDepthChange: (depth) => metrics.workqueueDepth.set({ controller: this.name }, depth),
    });
    this.unsubscribers = this.options.watches.map((source) => source.subscribe((key) => this.enqueue(key)));
    const concurrency = Math.max(1, this.options.concurrency ?? 1);
    const queue = this.queue;
    this.workers = Array.from({ length: concurrency }, () => this.work(queue, this.abort.signal));
    this.log.info({ concurrency, watches: this.options.watches.map((w) => w.description) }, 'controller started');
  }

  /**
   * Stops taking keys, aborts the context of reconciliations in flight and waits up to
   * `timeoutMs` for them to return.
   */
  async stop(timeoutMs = 30_000): Promise<void> {
    const queue = this.queue;
    if (!queue || queue.isShuttingDown) return;
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    queue.shutDown();
    this.abort.abort();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.all(this.workers).then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) this.log.warn({ inFlight: queue.inFlight }, 'controller stopped with reconciliations still running');
    else this.log.info('controller stopped');
  }

  private async work(queue: WorkQueue, signal: AbortSignal): Promise<void> {
    const { metrics, reconcile } = this.options;
    const labels = { controller: this.name };
    while (true) {
      const key = await queue.get();
      if (key === undefined) return;
      const request: ReconcileRequest = { key, ...parseKey(key) };
      const log = this.log.child({ key });
      const stopTimer = metrics.reconcileDuration.startTimer(labels);
      try {
        const result = await reconcile(request, { log, signal, retries: queue.numRequeues(key) });
        if (result?.requeue) {
          queue.addRateLimited(key);
          metrics.reconcileTotal.inc({ ...labels, result: 'requeue' });
        } else {
          queue.forget(key);
          if (result?.requeueAfterMs !== undefined && result.requeueAfterMs >= 0) {
            queue.addAfter(key, result.requeueAfterMs);
            metrics.reconcileTotal.inc({ ...labels, result: 'requeue_after' });
          } else {
            metrics.reconcileTotal.inc({ ...labels, result: 'success' });
          }
        }
      } catch (err) {
        if (signal.aborted) {
          log.debug({ reason: describeError(err) }, 'reconcile ended by shutdown');
        } else {
          const retryInMs = queue.addRateLimited(key);
          metrics.reconcileErrors.inc(labels);
          metrics.workqueueRetries.inc(labels);
          metrics.reconcileTotal.inc({ ...labels, result: 'error' });
          log.error({ err: err instanceof Error ? err : undefined, reason: describeError(err), retryInMs }, 'reconcile failed');
        }
      } finally {
        stopTimer();
        queue.done(key);
      }
    }
  }
}
