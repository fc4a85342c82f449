// Passive health checking: an endpoint that fails `consecutiveFailures` times in a row is
// ejected for a while, longer each time, and then gets traffic again on probation (one more
// run of failures ejects it again). A cap on the share of ejected endpoints keeps a
// backend-wide incident from ejecting everything.
import type { EndpointState } from './endpoint-state.js';

export interface OutlierSettings {
  readonly consecutiveFailures: number;
  readonly baseEjectionTime: number;
  readonly maxEjectionTime: number;
  readonly maxEjectionPercent: number;
}

export function recordSuccess(endpoint: EndpointState): void {
  endpoint.consecutiveFailures = 0;
}

/**
 * Counts a failure of `endpoint` (a 5xx response, or a connect failure, reset or timeout) and
 * ejects it when the threshold is reached and the cap allows.
 * @param peers the backend's endpoints, `endpoint` included
 * @returns true when this failure ejected the endpoint
 */
export function recordFailure(
  endpoint: EndpointState,
  peers: readonly EndpointState[],
  settings: OutlierSettings,
  now: number,
): boolean {
  if (settings.consecutiveFailures === 0) return false;
  // Failures of requests that were already in flight when the endpoint got ejected.
  if (endpoint.ejectedUntil > now) return false;
  endpoint.consecutiveFailures++;
  if (endpoint.consecutiveFailures < settings.consecutiveFailures) return false;

  let ejected = 0;
  for (const p of peers) if (p.ejectedUntil > now) ejected++;
  if (ejected > 0 && ((ejected + 1) * 100) / peers.length > settings.maxEjectionPercent) return false;

  // An ejection long forgotten should not make the next one longer.
  if (endpoint.ejectionCount > 0 && now - endpoint.lastEjectedAt > settings.maxEjectionTime + settings.baseEjectionTime) {
    endpoint.ejectionCount = 0;
  }
  endpoint.ejectionCount++;
  endpoint.consecutiveFailures = 0;
  endpoint.lastEjectedAt = now;
  endpoint.ejectedUntil = now + Math.min(settings.baseEjectionTime * endpoint.ejectionCount, settings.maxEjectionTime);
  return true;
}

export function isEjected(endpoint: EndpointState, now: number): boolean {
  return endpoint.ejectedUntil > now;
}

export function countEjected(endpoints: readonly EndpointState[], now: number): number {
  let n = 0;
  for (const e of endpoints) if (e.ejectedUntil > now) n++;
  return n;
}
