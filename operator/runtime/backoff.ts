// Exponential back-off shared by the work queue (per-key retries), informers (restarting a
// failed list/watch) and leader election.

export interface BackoffPolicy {
  /** Delay after the first failure. */
  initialMs: number;
  /** Upper bound of any delay. */
  maxMs: number;
  /** Growth per consecutive failure. Default 2. */
  factor?: number;
  /**
   * Share (0–1) of the delay that is randomized downwards, so that many clients failing at
   * the same moment do not retry in lockstep. Default 0 (deterministic).
   */
  jitter?: number;
}

/** Delay before retry number `attempt` (0 for the first retry). */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const factor = policy.factor ?? 2;
  const exponent = Math.max(0, Math.floor(attempt));
  // Past ~1000 doublings the float is Infinity; the cap makes that harmless.
  const raw = policy.initialMs * Math.pow(factor, Math.min(exponent, 1000));
  const capped = Math.min(policy.maxMs, raw);
  const jitter = Math.min(1, Math.max(0, policy.jitter ?? 0));
  return Math.round(capped * (1 - jitter * random()));
}

/** The work queue's default: 5 ms doubling to a 5 minute cap, as in client-go. */
export const DEFAULT_RETRY_BACKOFF: BackoffPolicy = { initialMs: 5, maxMs: 5 * 60_000 };
