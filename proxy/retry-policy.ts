// When a failed try is tried again. Retries need a body that can be replayed (none, or one
// small enough to have been buffered), attempts left, a retriable outcome, and room in the
// retry budget, so that retries cannot multiply the load on a backend that is already down.
import { DEFAULTS } from './snapshot.js';
import type { Random } from './random.js';

/** Bodies up to this size are buffered so that the request can be replayed. */
export const MAX_REPLAYABLE_BODY_BYTES = 64 * 1024;

export type UpstreamFailure = 'connect-failure' | 'reset' | 'timeout';

/** How one try ended: a response (status known, body not yet relayed) or a failure. */
export type TryOutcome = { readonly status: number } | { readonly failure: UpstreamFailure };

export interface RetryConditions {
  readonly connectFailure: boolean;
  readonly reset: boolean;
  readonly timeout: boolean;
  readonly any5xx: boolean;
  readonly gatewayError: boolean;
  readonly statuses: ReadonlySet<number>;
}

export function parseRetryOn(retryOn: readonly string[] = DEFAULTS.retryOn): RetryConditions {
  const statuses = new Set<number>();
  for (const c of retryOn) if (/^\d{3}$/.test(c)) statuses.add(Number(c));
  return {
    connectFailure: retryOn.includes('connect-failure'),
    reset: retryOn.includes('reset'),
    timeout: retryOn.includes('timeout'),
    any5xx: retryOn.includes('5xx'),
    gatewayError: retryOn.includes('gateway-error'),
    statuses,
  };
}

export function isRetriable(outcome: TryOutcome, c: RetryConditions): boolean {
  if ('failure' in outcome) {
    // Envoy's "5xx" covers the failures that would have become a 502/504.
    if (c.any5xx || c.gatewayError) return true;
    return outcome.failure === 'connect-failure' ? c.connectFailure : outcome.failure === 'reset' ? c.reset : c.timeout;
  }
  const s = outcome.status;
  if (c.statuses.has(s)) return true;
  if (c.any5xx && s >= 500 && s <= 599) return true;
  return c.gatewayError && (s === 502 || s === 503 || s === 504);
}

export interface RetryQuestion {
  readonly outcome: TryOutcome;
  readonly conditions: RetryConditions;
  /** Retries already made for this request. */
  readonly retriesDone: number;
  readonly maxRetries: number;
  /** The body is absent or buffered, so it can be sent again. */
  readonly replayable: boolean;
}

export function shouldRetry(q: RetryQuestion): boolean {
  return q.replayable && q.retriesDone < q.maxRetries && isRetriable(q.outcome, q.conditions);
}

/**
 * A keep-alive connection that the upstream closed while we were reusing it fails with a
 * reset before any response byte: the upstream never processed the request, so it is replayed
 * once on a fresh connection whatever the retry policy says (browsers do the same).
 */
export function isStaleConnectionReplay(failure: UpstreamFailure, reusedSocket: boolean, replayable: boolean, alreadyReplayed: boolean): boolean {
  return failure === 'reset' && reusedSocket && replayable && !alreadyReplayed;
}

/** Full-jitter exponential backoff: uniform in [0, min(base·2^(n-1), 10·base)) before retry n (1-based). */
export function backoffDelay(retryNumber: number, baseMs: number, random: Random): number {
  const cap = Math.min(baseMs * 2 ** Math.max(0, retryNumber - 1), baseMs * 10);
  return Math.floor(random() * cap);
}

/** Envoy-style budget: retries in flight may not exceed a share of requests in flight, with a floor. */
export class RetryBudget {
  activeRequests = 0;
  activeRetries = 0;

  constructor(
    private budgetPercent: number,
    private minRetryConcurrency: number,
  ) {}

  configure(budgetPercent: number, minRetryConcurrency: number): void {
    this.budgetPercent = budgetPercent;
    this.minRetryConcurrency = minRetryConcurrency;
  }

  /** Reserves room for one retry; pair with `releaseRetry` when that retry ends. */
  tryAcquireRetry(): boolean {
    const allowed = Math.max(this.minRetryConcurrency, (this.activeRequests * this.budgetPercent) / 100);
    if (this.activeRetries + 1 > allowed) return false;
    this.activeRetries++;
    return true;
  }

  releaseRetry(): void {
    if (this.activeRetries > 0) this.activeRetries--;
  }
}
