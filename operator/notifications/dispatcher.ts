// Delivery of notifications, off the caller's path. enqueue() only appends to the queue of
// the destination (one per AlertProvider) and returns; one worker per destination sends in
// order, retrying with back-off, so a slow or dead receiver delays only its own queue, and
// a queue that overflows drops its oldest notification rather than grow without bound.
//
// The provider is resolved (through the resolver the operator supplies) at send time, not
// at enqueue time: enqueue stays synchronous, and a fixed Secret is picked up by the next try.
import axios, { isAxiosError } from 'axios';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { type Clock, sleep, systemClock } from '../runtime/clock.js';
import { type AlertProviderRef, providerKey } from './alert-routing.js';
import { DropOldestQueue } from './bounded-queue.js';
import { type AttemptOutcome, DEFAULT_RETRY_POLICY, type RetryPolicy, nextResolveDelay, nextRetryDelay, outcomeLabel } from './delivery-policy.js';
import { type NotificationMetrics, type NotificationResult, notificationMetrics } from './metrics.js';
import type { Notification } from './notification.js';
import type { OutgoingRequest } from './notifier.js';
import { NOTIFIERS } from './notifiers.js';
import { ProviderResolutionError, type ProviderResolver, type ResolvedProvider } from './provider-resolution.js';
import { axiosProxyConfig } from './proxy-config.js';

export interface DispatcherOptions {
  resolver: ProviderResolver;
  log: Logger;
  registry: Registry;
  clock?: Clock;
  /** Notifications kept per destination; beyond it the oldest is dropped. Default 100. */
  queueCapacity?: number;
  /** Deadline of one HTTP attempt, connection and response body included. Default 10 s. */
  attemptTimeoutMs?: number;
  retry?: RetryPolicy;
  random?: () => number;
}

interface Job {
  providerRef: AlertProviderRef;
  notification: Notification;
  /** Clock reading at enqueue, for the delivery latency. */
  enqueuedAt: number;
}

interface Destination {
  key: string;
  queue: DropOldestQueue<Job>;
  running: boolean;
}

// Receivers answer "ok" or an empty body; anything large is not worth buffering.
const MAX_RESPONSE_BYTES = 1 << 20;
const USER_AGENT = 'sluice-operator';

/** The origin of a URL, for logs: the path of a webhook URL is its secret. */
function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}

export class NotificationDispatcher {
  private readonly resolver: ProviderResolver;
  private readonly log: Logger;
  private readonly metrics: NotificationMetrics;
  private readonly clock: Clock;
  private readonly queueCapacity: number;
  private readonly attemptTimeoutMs: number;
  private readonly retry: RetryPolicy;
  private readonly random: () => number;
  private readonly destinations = new Map<string, Destination>();
  private readonly workers = new Set<Promise<void>>();
  private readonly closing = new AbortController();
  /** Queued plus in flight. */
  private outstanding = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(options: DispatcherOptions) {
    this.resolver = options.resolver;
    this.log = options.log;
    this.metrics = notificationMetrics(options.registry);
    this.clock = options.clock ?? systemClock;
    this.queueCapacity = options.queueCapacity ?? 100;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 10_000;
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.random = options.random ?? Math.random;
    // Checked here rather than at the first enqueue, deep inside a reconcile.
    if (!Number.isInteger(this.queueCapacity) || this.queueCapacity < 1) {
      throw new RangeError(`queueCapacity must be a positive integer, got ${this.queueCapacity}`);
    }
  }

  /** Notifications queued or being delivered. */
  get pending(): number {
    return this.outstanding;
  }

  /** Queues `notification` for the provider and returns at once; never throws for delivery problems. */
  enqueue(providerRef: AlertProviderRef, notification: Notification): void {
    const key = providerKey(providerRef);
    if (this.closing.signal.aborted) {
      this.metrics.notifications.inc({ provider: key, result: 'dropped' });
      this.log.warn({ provider: key, reason: notification.reason }, 'notification dropped: the dispatcher is closed');
      return;
    }
    let destination = this.destinations.get(key);
    if (!destination) {
      destination = { key, queue: new DropOldestQueue<Job>(this.queueCapacity), running: false };
      this.destinations.set(key, destination);
    }
    this.outstanding += 1;
    this.metrics.queued.inc();
    const dropped = destination.queue.push({ providerRef, notification, enqueuedAt: this.clock.now() });
    if (dropped) {
      this.log.warn(
        { provider: key, dropped: dropped.notification.reason, canary: `${dropped.notification.namespace}/${dropped.notification.name}`, capacity: this.queueCapacity },
        'notification queue full: dropped the oldest notification',
      );
      this.settle(key, 'dropped');
    }
    if (!destination.running) this.startWorker(destination);
  }

  /**
   * Resolves true once nothing is queued or in flight (notifications enqueued meanwhile
   * included), or false after `timeoutMs` if given.
   */
  flush(timeoutMs?: number): Promise<boolean> {
    if (this.outstanding === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = (): void => {
        timer?.cancel();
        resolve(true);
      };
      const timer =
        timeoutMs === undefined
          ? undefined
          : this.clock.setTimer(() => {
              this.idleWaiters = this.idleWaiters.filter((w) => w !== waiter);
              resolve(false);
            }, timeoutMs);
      this.idleWaiters.push(waiter);
    });
  }

  /**
   * Stops: aborts requests in flight and back-off waits, drops what is queued (counted as
   * dropped), and resolves when every worker has ended. Call flush(deadline) first to
   * deliver what can be delivered.
   */
  async close(): Promise<void> {
    if (!this.closing.signal.aborted) {
      this.closing.abort();
      for (const destination of this.destinations.values()) {
        const left = destination.queue.drain();
        if (left.length) this.log.warn({ provider: destination.key, count: left.length }, 'dispatcher closing: dropped queued notifications');
        for (const _job of left) this.settle(destination.key, 'dropped');
      }
    }
    await Promise.allSettled([...this.workers]);
  }

  private startWorker(destination: Destination): void {
    destination.running = true;
    // Started from a microtask so that not even the resolver's synchronous part (a cache
    // lookup, say) runs on the caller's stack.
    const worker: Promise<void> = Promise.resolve()
      .then(() => this.drain(destination))
      .catch((err: unknown) => this.log.error({ provider: destination.key, err }, 'notification worker failed'))
      .finally(() => this.workers.delete(worker));
    this.workers.add(worker);
  }

  private async drain(destination: Destination): Promise<void> {
    try {
      for (let job = destination.queue.shift(); job; job = destination.queue.shift()) {
        let result: NotificationResult;
        try {
          result = await this.deliver(job);
        } catch (err) {
          // A bug in rendering must cost one notification, not the rest of the queue.
          this.log.error({ provider: destination.key, reason: job.notification.reason, err }, 'notification delivery crashed');
          result = 'failed';
        }
        this.settle(destination.key, result);
      }
    } finally {
      // Synchronous with the empty shift() above: no enqueue can slip in between and find
      // running still true with nobody left to drain its queue.
      destination.running = false;
      if (destination.queue.length === 0) this.destinations.delete(destination.key);
    }
  }

  private settle(key: string, result: NotificationResult): void {
    this.metrics.notifications.inc({ provider: key, result });
    this.metrics.queued.dec();
    this.outstanding -= 1;
    if (this.outstanding === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  private async deliver(job: Job): Promise<NotificationResult> {
    const key = providerKey(job.providerRef);
    const n = job.notification;
    const log = this.log.child({ provider: key, canary: `${n.namespace}/${n.name}`, reason: n.reason, notification: n.id });
    for (let attempt = 0; ; attempt += 1) {
      if (this.closing.signal.aborted) return 'dropped';
      let provider: ResolvedProvider;
      try {
        provider = await this.resolver(job.providerRef);
      } catch (err) {
        const permanent = err instanceof ProviderResolutionError && err.permanent;
        const delay = permanent ? undefined : nextResolveDelay(this.retry, attempt, this.random);
        const message = err instanceof Error ? err.message : String(err);
        if (delay === undefined) {
          log.warn({ error: message, attempts: attempt + 1 }, 'notification not sent: the alert provider could not be resolved');
          return 'unresolved';
        }
        log.info({ error: message, retryInMs: delay }, 'alert provider not resolved yet; retrying');
        await sleep(this.clock, delay, this.closing.signal);
        continue;
      }

      const request = NOTIFIERS[provider.type].render(n, provider, new Date(this.clock.now()));
      const outcome = await this.send(request, provider.proxy);
      if (this.closing.signal.aborted && outcome.kind !== 'delivered') return 'dropped';
      this.metrics.attempts.inc({ provider: key, outcome: outcomeLabel(outcome) });
      if (outcome.kind === 'delivered') {
        this.metrics.deliverySeconds.observe({ provider: key }, (this.clock.now() - job.enqueuedAt) / 1000);
        log.debug({ type: provider.type, status: outcome.status, attempts: attempt + 1 }, 'notification delivered');
        return 'delivered';
      }
      const delay = nextRetryDelay(this.retry, attempt, outcome, this.clock.now(), this.random);
      const context = { type: provider.type, destination: origin(provider.url), attempts: attempt + 1, ...describeOutcome(outcome) };
      if (delay === undefined) {
        log.warn(context, 'notification not delivered');
        return 'failed';
      }
      log.info({ ...context, retryInMs: delay }, 'notification delivery failed; retrying');
      await sleep(this.clock, delay, this.closing.signal);
    }
  }

  private async send(request: OutgoingRequest, proxy: string | undefined): Promise<AttemptOutcome> {
    const timeout = AbortSignal.timeout(this.attemptTimeoutMs);
    try {
      const response = await axios.request<string>({
        method: 'POST',
        url: request.url,
        headers: { 'User-Agent': USER_AGENT, ...request.headers },
        // Bytes, not a string: axios trims string bodies, which would break the signature.
        data: Buffer.from(request.body, 'utf8'),
        transformRequest: [(data: unknown) => data],
        responseType: 'text',
        transformResponse: [(data: unknown) => data],
        validateStatus: () => true,
        // A webhook that redirects is misconfigured; following it would post the body elsewhere.
        maxRedirects: 0,
        maxContentLength: MAX_RESPONSE_BYTES,
        signal: AbortSignal.any([timeout, this.closing.signal]),
        ...(proxy ? { proxy: axiosProxyConfig(proxy) } : {}),
      });
      if (response.status >= 200 && response.status < 300) return { kind: 'delivered', status: response.status };
      const retryAfter: unknown = response.headers['retry-after'];
      return { kind: 'rejected', status: response.status, ...(typeof retryAfter === 'string' ? { retryAfter } : {}) };
    } catch (err) {
      if (timeout.aborted) return { kind: 'timeout' };
      const code = isAxiosError(err) ? (err.code ?? 'ERR_NETWORK') : 'ERR_UNKNOWN';
      return { kind: 'network-error', code, message: err instanceof Error ? err.message : String(err) };
    }
  }
}

function describeOutcome(outcome: AttemptOutcome): Record<string, unknown> {
  switch (outcome.kind) {
    case 'delivered':
    case 'rejected':
      return { status: outcome.status };
    case 'network-error':
      return { code: outcome.code, error: outcome.message };
    case 'timeout':
      return { error: 'timed out' };
  }
}
