// A cached, self-healing list+watch of one resource (optionally one namespace, label or field
// selector), in the manner of client-go's shared informer:
//
// - lists once (paginated), then watches from the list's resourceVersion with bookmarks;
// - a watch that ends normally (server timeout) is resumed from the last resourceVersion; an
//   expired resourceVersion (410 Gone, as an HTTP status or an ERROR event) forces a relist,
//   whose differences against the cache are delivered as adds, updates and deletes;
// - any other failure (API server down, connection reset, a watch that went silent past its
//   deadline) restarts the loop after a jittered exponential back-off;
// - every resync period, each cached object is delivered again as an update (old === new),
//   so that level-triggered controllers converge even if they missed something;
// - handlers receive plain JSON objects exactly as the API server sent them, both from lists
//   and from watches (dates are strings, whatever the TypeScript type says).
//
// Handlers must be cheap (they typically enqueue keys); they run synchronously in the order
// events arrive, and an exception in one is logged and does not affect the others.
import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import { sleep, systemClock, type Clock, type TimerHandle } from './clock.js';
import { getJson } from './kube-http.js';
import { describeError, statusCodeOf } from './kube-errors.js';
import type { RuntimeMetrics } from './metrics.js';
import { keyOf, ObjectStore, NAMESPACE_INDEX, type IndexFunction, type StoreChange } from './object-store.js';
import { collectionPath, resourceName, type ResourceType } from './resource-type.js';

export interface InformerOptions<T extends KubernetesObject> {
  resource: ResourceType<T>;
  /** Restrict to one namespace; empty or absent: all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Redeliver every cached object this often; 0 disables. Default 5 minutes. */
  resyncPeriodMs?: number;
  indexers?: Record<string, IndexFunction<T>>;
  log: Logger;
  metrics?: RuntimeMetrics;
  clock?: Clock;
  /** Back-off between failed attempts. Default 250 ms doubling to 30 s, half jittered. */
  backoff?: BackoffPolicy;
  /** Server-side watch timeout is drawn from this range (seconds) so that watches rotate. Default [300, 600]. */
  watchTimeoutSeconds?: [number, number];
  /** Page size of lists. Default 500. */
  pageSize?: number;
}

export interface InformerHandler<T> {
  /** `initialList` is true for objects delivered by the first list (and replays to late handlers). */
  onAdd?(obj: T, initialList: boolean): void;
  /** Also called with old === obj on resync. */
  onUpdate?(old: T, obj: T): void;
  onDelete?(obj: T): void;
}

type WatchOutcome = 'closed' | 'expired' | 'stopped';

interface ListResponse {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: unknown[];
}

export class Informer<T extends KubernetesObject> {
  readonly resource: ResourceType<T>;
  readonly namespace: string;
  private readonly store: ObjectStore<T>;
  private readonly handlers = new Set<InformerHandler<T>>();
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly backoff: BackoffPolicy;
  private readonly name: string;
  private readonly syncWaiters: ((synced: boolean) => void)[] = [];
  private resourceVersion = '';
  private hasSyncedOnce = false;
  private running = false;
  private loop: Promise<void> | undefined;
  private stopController = new AbortController();
  private abortWatch: (() => void) | undefined;
  private resyncTimer: TimerHandle | undefined;
  private lastErrorText: string | undefined;

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly options: InformerOptions<T>,
  ) {
    this.resource = options.resource;
    this.namespace = options.namespace ?? '';
    this.store = new ObjectStore<T>(options.indexers);
    this.clock = options.clock ?? systemClock;
    this.backoff = options.backoff ?? { initialMs: 250, maxMs: 30_000, jitter: 0.5 };
    this.name = resourceName(options.resource);
    this.log = options.log.child({ informer: this.name, ...(this.namespace ? { scope: this.namespace } : {}) });
  }

  /** True once the first list has been delivered; stays true across later relists. */
  get synced(): boolean {
    return this.hasSyncedOnce;
  }

  get lastError(): string | undefined {
    return this.lastErrorText;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Registers a handler; if the cache is synced already, the handler first receives every cached object as an add. */
  addHandler(handler: InformerHandler<T>): () => void {
    this.handlers.add(handler);
    if (this.hasSyncedOnce && handler.onAdd) {
      for (const obj of this.store.list()) safely(this.log, () => handler.onAdd?.(obj, true));
    }
    return () => {
      this.handlers.delete(handler);
    };
  }

  addIndexer(name: string, fn: IndexFunction<T>): void {
    if (!this.store.hasIndex(name)) this.store.addIndexer(name, fn);
  }

  get(namespace: string, name: string): T | undefined {
    return this.store.get(keyOf({ namespace, name }));
  }

  getByKey(key: string): T | undefined {
    return this.store.get(key);
  }

  /** All cached objects, or those of one namespace. */
  list(namespace?: string): T[] {
    return namespace === undefined ? this.store.list() : this.store.byIndex(NAMESPACE_INDEX, namespace);
  }

  byIndex(indexName: string, value: string): T[] {
    return this.store.byIndex(indexName, value);
  }

  /** Resolves true when synced, false if the informer stops (or has stopped) or `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.hasSyncedOnce) return Promise.resolve(true);
    if (signal?.aborted || (!this.running && this.loop !== undefined)) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = (synced: boolean): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(synced);
      };
      const onAbort = (): void => {
        const i = this.syncWaiters.indexOf(waiter);
        if (i >= 0) this.syncWaiters.splice(i, 1);
        resolve(false);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(waiter);
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopController = new AbortController();
    this.loop = this.run();
    this.scheduleResync();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopController.abort();
    this.abortWatch?.();
    this.resyncTimer?.cancel();
    this.resyncTimer = undefined;
    await this.loop;
    for (const resolve of this.syncWaiters.splice(0)) resolve(false);
  }

  private async run(): Promise<void> {
    const signal = this.stopController.signal;
    let failures = 0;
    let mustList = true;
    while (!signal.aborted) {
      try {
        if (mustList) {
          await this.listAndReplace(signal);
          mustList = false;
        }
        if (signal.aborted) break;
        const startedAt = this.clock.now();
        const outcome = await this.watchOnce();
        if (outcome === 'stopped') break;
        this.options.metrics?.informerWatchRestarts.inc({ resource: this.name, reason: outcome });
        if (outcome === 'expired') {
          this.log.info('watch expired (410 Gone): relisting');
          mustList = true;
        }
        const lasted = this.clock.now() - startedAt;
        // A watch that lasted a while was healthy: start the back-off over. One that the
        // server closes at once, again and again, must not turn into a busy loop.
        if (lasted > 10_000) failures = 0;
        else if (outcome === 'closed' && lasted < 1_000) await sleep(this.clock, backoffDelay(this.backoff, failures++), signal);
        this.lastErrorText = undefined;
      } catch (err) {
        if (signal.aborted) break;
        if (statusCodeOf(err) === 410) {
          mustList = true;
          continue;
        }
        const delay = backoffDelay(this.backoff, failures++);
        this.lastErrorText = describeError(err);
        this.options.metrics?.informerWatchRestarts.inc({ resource: this.name, reason: 'error' });
        this.log.warn({ err: this.lastErrorText, retryInMs: delay }, 'list/watch failed; retrying');
        await sleep(this.clock, delay, signal);
      }
    }
  }

  private async listAndReplace(signal: AbortSignal): Promise<void> {
    const path = collectionPath(this.resource, this.namespace);
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    try {
      do {
        const page = (await getJson(this.kubeConfig, path, {
          query: {
            labelSelector: this.options.labelSelector,
            fieldSelector: this.options.fieldSelector,
            limit: this.options.pageSize ?? 500,
            continue: continueToken,
          },
          signal,
        })) as ListResponse;
        for (const raw of page.items ?? []) {
          // List items carry no apiVersion/kind; watched objects do. Make them alike.
          items.push({ ...(raw as T), apiVersion: this.resource.apiVersion, kind: this.resource.kind });
        }
        continueToken = page.metadata?.continue || undefined;
        resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      } while (continueToken);
    } catch (err) {
      this.options.metrics?.informerLists.inc({ resource: this.name, result: 'error' });
      throw err;
    }
    this.options.metrics?.informerLists.inc({ resource: this.name, result: 'success' });
    const initial = !this.hasSyncedOnce;
    const changes = this.store.replace(items);
    this.resourceVersion = resourceVersion;
    this.updateSizeGauge();
    for (const change of changes) this.deliver(change, initial);
    if (initial) {
      this.hasSyncedOnce = true;
      this.log.debug({ objects: items.length }, 'synced');
      for (const resolve of this.syncWaiters.splice(0)) resolve(true);
    }
  }

  private watchOnce(): Promise<WatchOutcome> {
    const [minTimeout, maxTimeout] = this.options.watchTimeoutSeconds ?? [300, 600];
    const timeoutSeconds = Math.round(minTimeout + Math.random() * (maxTimeout - minTimeout));
    const path = collectionPath(this.resource, this.namespace);
    return new Promise<WatchOutcome>((resolve, reject) => {
      let settled = false;
      let expired = false;
      let controller: AbortController | undefined;
      // The server closes the watch after timeoutSeconds; if it does not (a half-open
      // connection), nothing else would notice, so give up on it a little later.
      const deadline = this.clock.setTimer(() => {
        this.log.debug('watch passed its deadline without closing; restarting it');
        controller?.abort();
        finish(undefined, 'closed');
      }, (timeoutSeconds + 30) * 1000);
      const finish = (err: unknown, outcome?: WatchOutcome): void => {
        if (settled) return;
        settled = true;
        deadline.cancel();
        this.abortWatch = undefined;
        controller?.abort();
        if (!this.running) return resolve('stopped');
        if (outcome) return resolve(outcome);
        if (expired || statusCodeOf(err) === 410) return resolve('expired');
        if (err) return reject(err instanceof Error ? err : new Error(describeError(err)));
        resolve('closed');
      };
      this.abortWatch = () => finish(undefined, 'stopped');
      const onEvent = (phase: string, obj: unknown): void => {
        if (settled) return;
        this.onWatchEvent(phase, obj, () => {
          expired = true;
        });
      };
      new Watch(this.kubeConfig)
        .watch(
          path,
          {
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds,
            labelSelector: this.options.labelSelector,
            fieldSelector: this.options.fieldSelector,
          },
          onEvent,
          (err: unknown) => finish(err),
        )
        .then((c) => {
          controller = c;
          if (settled) c.abort();
        })
        .catch((err: unknown) => finish(err));
    });
  }

  private onWatchEvent(phase: string, raw: unknown, markExpired: () => void): void {
    if (typeof raw !== 'object' || raw === null) return;
    if (phase === 'ERROR') {
      // A Status object: 410 means our resourceVersion is too old; any other error also makes
      // the server end the watch, and a fresh list is the safe way to continue.
      const status = raw as { code?: number; message?: string };
      this.log.info({ code: status.code, message: status.message }, 'watch error event; relisting');
      markExpired();
      return;
    }
    const obj = raw as T;
    const rv = obj.metadata?.resourceVersion;
    if (phase === 'ADDED' || phase === 'MODIFIED') {
      const change = this.store.upsert(obj);
      if (change) {
        this.updateSizeGauge();
        this.deliver(change, false);
      }
    } else if (phase === 'DELETED') {
      const change = this.store.remove(obj);
      if (change) {
        this.updateSizeGauge();
        this.deliver(change, false);
      }
    }
    if (rv) this.resourceVersion = rv;
  }

  private deliver(change: StoreChange<T>, initialList: boolean): void {
    for (const handler of this.handlers) {
      safely(this.log, () => {
        if (change.type === 'added') handler.onAdd?.(change.obj, initialList);
        else if (change.type === 'updated') handler.onUpdate?.(change.old, change.obj);
        else handler.onDelete?.(change.obj);
      });
    }
  }

  private scheduleResync(): void {
    const period = this.options.resyncPeriodMs ?? 5 * 60_000;
    if (period <= 0 || !this.running) return;
    this.resyncTimer = this.clock.setTimer(() => {
      if (!this.running) return;
      if (this.hasSyncedOnce) {
        for (const obj of this.store.list()) {
          for (const handler of this.handlers) safely(this.log, () => handler.onUpdate?.(obj, obj));
        }
      }
      this.scheduleResync();
    }, period);
  }

  private updateSizeGauge(): void {
    this.options.metrics?.informerObjects.set({ resource: this.name }, this.store.size);
  }
}

function safely(log: Logger, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    log.error({ err: describeError(err) }, 'informer handler threw');
  }
}
