import { newEndpointState, type EndpointState } from '../../../proxy/endpoint-state.js';
import { pickEndpoint } from '../../../proxy/load-balancer.js';
import { scriptedRandom, seededRandom } from './seeded-random.js';

function endpoints(n: number): EndpointState[] {
  return Array.from({ length: n }, (_, i) => newEndpointState(`10.0.0.${i + 1}`, 8080));
}

const NOW = 1_000_000;

describe('least-request (two random choices)', () => {
  it('takes the less busy of the two drawn endpoints', () => {
    const eps = endpoints(3);
    (eps[0] as EndpointState).active = 5;
    (eps[2] as EndpointState).active = 1;
    // First draw: index 0; second draw over the 2 others: 0.99 → index 2 (skipping 0).
    expect(pickEndpoint(eps, 'least-request', NOW, scriptedRandom(0, 0.99), { next: 0 })).toBe(eps[2]);
    // Two draws that land on 0 and 1: 1 is idle.
    expect(pickEndpoint(eps, 'least-request', NOW, scriptedRandom(0, 0), { next: 0 })).toBe(eps[1]);
  });

  it('never draws the same endpoint twice', () => {
    const eps = endpoints(2);
    (eps[1] as EndpointState).active = 3;
    // Both draws at 0.99: first is index 1, second must be index 0.
    expect(pickEndpoint(eps, 'least-request', NOW, scriptedRandom(0.99, 0.99), { next: 0 })).toBe(eps[0]);
  });

  it('sends more traffic to endpoints that finish requests sooner', () => {
    const eps = endpoints(4);
    (eps[3] as EndpointState).active = 50; // a slow endpoint with a backlog
    const random = seededRandom(7);
    const counts = new Map<EndpointState, number>();
    for (let i = 0; i < 10_000; i++) {
      const e = pickEndpoint(eps, 'least-request', NOW, random, { next: 0 }) as EndpointState;
      counts.set(e, (counts.get(e) ?? 0) + 1);
    }
    // The busy endpoint wins only if drawn twice, which cannot happen: it is never chosen.
    expect(counts.get(eps[3] as EndpointState) ?? 0).toBe(0);
  });
});

describe('round-robin', () => {
  it('cycles through endpoints in order', () => {
    const eps = endpoints(3);
    const cursor = { next: 0 };
    const picks = Array.from({ length: 6 }, () => pickEndpoint(eps, 'round-robin', NOW, () => 0, cursor));
    expect(picks).toEqual([eps[0], eps[1], eps[2], eps[0], eps[1], eps[2]]);
  });
});

describe('eligibility', () => {
  it('returns undefined for an empty backend', () => {
    expect(pickEndpoint([], 'least-request', NOW, () => 0, { next: 0 })).toBeUndefined();
  });

  it('skips ejected endpoints', () => {
    const eps = endpoints(2);
    (eps[0] as EndpointState).ejectedUntil = NOW + 1;
    for (const r of [0, 0.5, 0.99]) expect(pickEndpoint(eps, 'round-robin', NOW, () => r, { next: 0 })).toBe(eps[1]);
  });

  it('uses an endpoint again once its ejection has expired', () => {
    const eps = endpoints(1);
    (eps[0] as EndpointState).ejectedUntil = NOW;
    expect(pickEndpoint(eps, 'round-robin', NOW, () => 0, { next: 0 })).toBe(eps[0]);
  });

  it('falls back to all endpoints when every one is ejected (panic mode)', () => {
    const eps = endpoints(2);
    for (const e of eps) e.ejectedUntil = NOW + 10;
    expect(pickEndpoint(eps, 'round-robin', NOW, () => 0, { next: 1 })).toBe(eps[1]);
  });

  it('avoids the endpoint that just failed when there is another', () => {
    const eps = endpoints(2);
    expect(pickEndpoint(eps, 'round-robin', NOW, () => 0, { next: 0 }, eps[0])).toBe(eps[1]);
    const single = endpoints(1);
    expect(pickEndpoint(single, 'round-robin', NOW, () => 0, { next: 0 }, single[0])).toBe(single[0]);
  });
});
