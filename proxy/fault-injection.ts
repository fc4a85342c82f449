// Deliberate failures for rehearsing incidents: delays and aborts, each by percent.
import type { FaultInjection } from './snapshot.js';
import type { Random } from './random.js';

export interface FaultDecision {
  /** Milliseconds to wait before going on; 0 for none. */
  readonly delayMs: number;
  /** Status to answer with instead of forwarding, if any. */
  readonly abortStatus: number | undefined;
}

export const NO_FAULT: FaultDecision = Object.freeze({ delayMs: 0, abortStatus: undefined });

/** Delay and abort are drawn independently, as in Envoy: a request can be delayed and then aborted. */
export function decideFaults(faults: FaultInjection | undefined, random: Random): FaultDecision {
  if (faults === undefined) return NO_FAULT;
  const delayMs = faults.delay && hit(faults.delay.percent, random) ? faults.delay.fixedDelay : 0;
  const abortStatus = faults.abort && hit(faults.abort.percent, random) ? faults.abort.httpStatus : undefined;
  if (delayMs === 0 && abortStatus === undefined) return NO_FAULT;
  return { delayMs, abortStatus };
}

/** True with probability percent/100 (exactly never at 0, always at 100). */
export function hit(percent: number, random: Random): boolean {
  if (percent <= 0) return false;
  if (percent >= 100) return true;
  return random() * 100 < percent;
}
