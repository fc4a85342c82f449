// Picks the endpoint of a backend for one try. Ejected endpoints are skipped unless every
// endpoint is ejected: then all are used (panic mode), because sending traffic to endpoints
// that may have recovered beats answering 503 to everyone.
import type { LoadBalancingPolicy } from './snapshot.js';
import type { EndpointState } from './endpoint-state.js';
import type { Random } from './random.js';

export interface RoundRobinCursor {
  next: number;
}

/**
 * @param endpoints ready endpoints of the backend
 * @param avoid an endpoint that already failed this request; skipped when another is available
 * @returns undefined only when `endpoints` is empty
 */
export function pickEndpoint(
  endpoints: readonly EndpointState[],
  policy: LoadBalancingPolicy,
  now: number,
  random: Random,
  cursor: RoundRobinCursor,
  avoid?: EndpointState,
): EndpointState | undefined {
  const candidates = eligible(endpoints, now, avoid);
  const n = candidates.length;
  if (n === 0) return undefined;
  if (n === 1) return candidates[0];
  if (policy === 'round-robin') {
    const chosen = candidates[cursor.next % n];
    cursor.next = (cursor.next + 1) % 1_000_000_007;
    return chosen;
  }
  // Power of two choices: as good as scanning all endpoints at O(1) cost, and it does not
  // herd every proxy onto the same least-loaded endpoint.
  const i = Math.floor(random() * n);
  let j = Math.floor(random() * (n - 1));
  if (j >= i) j++;
  const a = candidates[i] as EndpointState;
  const b = candidates[j] as EndpointState;
  return b.active < a.active ? b : a;
}

function eligible(endpoints: readonly EndpointState[], now: number, avoid: EndpointState | undefined): readonly EndpointState[] {
  let anyEjected = false;
  for (const e of endpoints) {
    if (e.ejectedUntil > now) {
      anyEjected = true;
      break;
    }
  }
  let pool = endpoints;
  if (anyEjected) {
    const healthy = endpoints.filter((e) => e.ejectedUntil <= now);
    if (healthy.length > 0) pool = healthy;
  }
  if (avoid !== undefined && pool.length > 1 && pool.includes(avoid)) return pool.filter((e) => e !== avoid);
  return pool;
}
