// When to try a delivery again and how long to wait: pure decisions over the outcome of one
// attempt, so that the dispatcher's loop holds no policy of its own.
import { type BackoffPolicy, backoffDelay } from '../runtime/backoff.js';

export type AttemptOutcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'rejected'; status: number; retryAfter?: string }
  | { kind: 'network-error'; code: string; message: string }
  | { kind: 'timeout' };

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  backoff: BackoffPolicy;
  /** Longest Retry-After honoured; a longer one is cut to this. */
  maxRetryAfterMs: number;
}

/**
 * Six attempts over about a minute and a half: enough to ride out a receiver's restart or a
 * short rate limit, short enough that a rollout's later events are not held up for long.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  backoff: { initialMs: 1_000, maxMs: 60_000, factor: 2, jitter: 0.5 },
  maxRetryAfterMs: 5 * 60_000,
};

/** Network trouble, timeouts, 408, 429 and 5xx may pass on a later try; other answers will not. */
export function isRetryable(outcome: AttemptOutcome): boolean {
  switch (outcome.kind) {
    case 'delivered':
      return false;
    case 'network-error':
    case 'timeout':
      return true;
    case 'rejected':
      return outcome.status === 408 || outcome.status === 429 || outcome.status >= 500;
  }
}

/** A metric label for the outcome: delivered, http_3xx, http_4xx, http_429, http_5xx, network, timeout. */
export function outcomeLabel(outcome: AttemptOutcome): string {
  switch (outcome.kind) {
    case 'delivered':
      return 'delivered';
    case 'network-error':
      return 'network';
    case 'timeout':
      return 'timeout';
    case 'rejected':
      if (outcome.status === 429) return 'http_429';
      return `http_${Math.floor(outcome.status / 100)}xx`;
  }
}

/**
 * Retry-After as delay-seconds or an HTTP date (RFC 9110 §10.2.3), in ms from `nowMs`.
 * Fractional seconds are accepted too: not in the RFC, but cheaper to honour than to ignore.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  // All three HTTP-date forms start with the day's name; Date.parse alone accepts "1.5".
  if (!/^[A-Za-z]{3}/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/**
 * Delay before attempt `attempt + 1` (0-based `attempt` is the one that just failed), or
 * undefined to give up. A server's Retry-After wins over our back-off: it knows its limits.
 */
export function nextRetryDelay(
  policy: RetryPolicy,
  attempt: number,
  outcome: AttemptOutcome,
  nowMs: number,
  random: () => number = Math.random,
): number | undefined {
  if (!isRetryable(outcome) || attempt + 1 >= policy.maxAttempts) return undefined;
  const retryAfter = outcome.kind === 'rejected' ? parseRetryAfter(outcome.retryAfter, nowMs) : undefined;
  if (retryAfter !== undefined) return Math.min(retryAfter, policy.maxRetryAfterMs);
  return backoffDelay(policy.backoff, attempt, random);
}

/** Delay before retrying a provider that could not be resolved (a Secret read failed). */
export function nextResolveDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number | undefined {
  if (attempt + 1 >= policy.maxAttempts) return undefined;
  return backoffDelay(policy.backoff, attempt, random);
}
