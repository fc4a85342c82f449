// The decisions of Lease-based leader election, as pure functions over plain data (the
// algorithm of client-go's leaderelection package):
//
// - A lease held by someone else counts as expired only when its record has not changed for
//   leaseDuration as measured on OUR clock since we first saw that record. Comparing the
//   holder's renewTime with our own clock would make a skewed clock steal a live lease.
// - The holder renews by rewriting renewTime; anyone may take an expired or released lease.
// - Every write carries the resourceVersion it was based on, so two candidates racing for the
//   same lease cannot both win: the API server rejects the second write with 409 Conflict.

export interface LeaseRecord {
  /** Empty when nobody holds the lease (never taken, or released). */
  holderIdentity: string;
  leaseDurationSeconds: number;
  /** RFC 3339 times as stored in the Lease. */
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions: number;
}

/** A record as we last saw it, and when (local clock) we first saw it in that state. */
export interface Observation {
  record: LeaseRecord;
  observedAt: number;
}

export type LeaseDecision =
  | { action: 'create'; record: LeaseRecord }
  /** Write `record` over the current lease; `acquired` when it takes the lease rather than renews it. */
  | { action: 'update'; record: LeaseRecord; acquired: boolean }
  | { action: 'wait'; holder: string; expiresAt: number };

function sameRecord(a: LeaseRecord, b: LeaseRecord): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    a.renewTime === b.renewTime &&
    a.acquireTime === b.acquireTime &&
    a.leaseTransitions === b.leaseTransitions &&
    a.leaseDurationSeconds === b.leaseDurationSeconds
  );
}

/** Updates the observation: the clock starts again whenever the record changes. */
export function observe(previous: Observation | undefined, record: LeaseRecord, now: number): Observation {
  if (previous && sameRecord(previous.record, record)) return previous;
  return { record, observedAt: now };
}

/** When the observed lease expires for a candidate, on the local clock. */
export function expiresAt(observation: Observation): number {
  return observation.observedAt + observation.record.leaseDurationSeconds * 1000;
}

export interface DecideInput {
  /** The lease as just read; undefined when it does not exist. */
  current: LeaseRecord | undefined;
  /** Our observation of `current` (see observe()). */
  observation: Observation | undefined;
  identity: string;
  now: number;
  leaseDurationSeconds: number;
}

export function decideLease(input: DecideInput): LeaseDecision {
  const { current, identity, now, leaseDurationSeconds } = input;
  const nowIso = new Date(now).toISOString();
  if (!current) {
    return {
      action: 'create',
      record: { holderIdentity: identity, leaseDurationSeconds, acquireTime: nowIso, renewTime: nowIso, leaseTransitions: 0 },
    };
  }
  if (current.holderIdentity === identity) {
    return {
      action: 'update',
      acquired: false,
      record: { ...current, leaseDurationSeconds, acquireTime: current.acquireTime ?? nowIso, renewTime: nowIso },
    };
  }
  if (current.holderIdentity !== '') {
    const observation = input.observation && sameRecord(input.observation.record, current) ? input.observation : { record: current, observedAt: now };
    const expiry = expiresAt(observation);
    if (now < expiry) return { action: 'wait', holder: current.holderIdentity, expiresAt: expiry };
  }
  return {
    action: 'update',
    acquired: true,
    record: {
      holderIdentity: identity,
      leaseDurationSeconds,
      acquireTime: nowIso,
      renewTime: nowIso,
      leaseTransitions: current.leaseTransitions + 1,
    },
  };
}

/** The record a leader writes when it steps down, so that a standby can take over at once. */
export function releasedRecord(current: LeaseRecord, now: number): LeaseRecord {
  const nowIso = new Date(now).toISOString();
  return { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: nowIso, renewTime: nowIso, leaseTransitions: current.leaseTransitions };
}

export interface LeaderElectionTiming {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** The same sanity rules as client-go: the lease outlives the renew deadline, which outlives a few retries. */
export function validateTiming(timing: LeaderElectionTiming): void {
  const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = timing;
  if (!(retryPeriodMs > 0)) throw new Error('retryPeriod must be positive');
  if (leaseDurationMs % 1000 !== 0) throw new Error('leaseDuration must be a whole number of seconds (Lease stores seconds)');
  if (!(leaseDurationMs > renewDeadlineMs)) throw new Error('leaseDuration must be greater than renewDeadline');
  if (!(renewDeadlineMs > retryPeriodMs * 1.2)) throw new Error('renewDeadline must be greater than 1.2 × retryPeriod');
}
