// A rate-limited work queue of string keys, in the manner of client-go's workqueue:
//
// - A key is handed to at most one worker at a time. Adding a key that is queued already is
//   a no-op; adding a key that is being processed marks it dirty, and it is queued again when
//   the worker calls done(), so no change is ever lost and no key runs twice concurrently.
// - addRateLimited() re-adds a key after an exponential back-off that grows with the key's
//   consecutive failures; forget() resets it after a success.
// - addAfter() schedules a key for later (timers such as the canary's next analysis tick);
//   of several pending schedules for a key the earliest wins.
// - shutDown() stops handing out keys: waiting workers get `undefined`, queued and scheduled
//   keys are dropped (reconciliation is level-triggered, so the next leader re-lists), and
//   drained() resolves once the keys in flight are done.
import { backoffDelay, DEFAULT_RETRY_BACKOFF, type BackoffPolicy } from './backoff.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';

export interface WorkQueueOptions {
  clock?: Clock;
  backoff?: BackoffPolicy;
  /** Called whenever the number of queued keys changes (for the depth gauge). */
  onDepthChange?: (depth: number) => void;
}

export class WorkQueue {
  private readonly clock: Clock;
  private readonly backoff: BackoffPolicy;
  private readonly onDepthChange: (depth: number) => void;
  /** Ready keys in FIFO order; a Set keeps insertion order and dedupes. */
  private readonly ready = new Set<string>();
  private readonly processing = new Set<string>();
  /** Keys added while being processed: queued again by done(). */
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly scheduled = new Map<string, { at: number; timer: TimerHandle }>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private readonly drainWaiters: (() => void)[] = [];
  private shuttingDown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.backoff = options.backoff ?? DEFAULT_RETRY_BACKOFF;
    this.onDepthChange = options.onDepthChange ?? ((): void => undefined);
  }

  /** Number of keys waiting for a worker. */
  get depth(): number {
    return this.ready.size;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Keys being processed right now. */
  get inFlight(): number {
    return this.processing.size;
  }

  add(key: string): void {
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.ready.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.processing.add(key);
      waiter(key);
      return;
    }
    this.ready.add(key);
    this.onDepthChange(this.ready.size);
  }

  /** Adds `key` after `delayMs`; an earlier pending schedule of the same key is kept. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + delayMs;
    const existing = this.scheduled.get(key);
    if (existing && existing.at <= at) return;
    existing?.timer.cancel();
    const timer = this.clock.setTimer(() => {
      this.scheduled.delete(key);
      this.add(key);
    }, delayMs);
    this.scheduled.set(key, { at, timer });
  }

  /** Adds `key` after the back-off for its number of consecutive failures, and counts one more. */
  addRateLimited(key: string): number {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    const delay = backoffDelay(this.backoff, failures);
    this.addAfter(key, delay);
    return delay;
  }

  /** Clears the failure count of `key` (after a successful reconcile). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Consecutive failures recorded for `key`. */
  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** When `key` is scheduled by addAfter/addRateLimited, in epoch ms. */
  scheduledAt(key: string): number | undefined {
    return this.scheduled.get(key)?.at;
  }

  /** Waits for the next key; `undefined` once the queue shuts down. The caller must call done(key). */
  get(): Promise<string | undefined> {
    const key = this.takeReady();
    if (key !== undefined) return Promise.resolve(key);
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `key` as processed; if it was added meanwhile it is queued again. */
  done(key: string): void {
    if (!this.processing.delete(key)) return;
    if (this.dirty.delete(key)) this.add(key);
    if (this.processing.size === 0) {
      for (const resolve of this.drainWaiters.splice(0)) resolve();
    }
  }

  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const { timer } of this.scheduled.values()) timer.cancel();
    this.scheduled.clear();
    this.ready.clear();
    this.dirty.clear();
    this.onDepthChange(0);
    for (const resolve of this.waiters.splice(0)) resolve(undefined);
  }

  /** Resolves when no key is being processed. */
  drained(): Promise<void> {
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private takeReady(): string | undefined {
    const first = this.ready.values().next();
    if (first.done) return undefined;
    const key = first.value;
    this.ready.delete(key);
    this.processing.add(key);
    this.onDepthChange(this.ready.size);
    return key;
  }
}
